import Foundation
import Testing

/// The committed `Reports/` folder is what `kvreplay demo` writes from `Datasets/sample`: byte for byte.
@Suite struct DemoTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func files(under root: URL) throws -> [String] {
        let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])!
        var out: [String] = []
        for case let url as URL in e where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            out.append(String(url.path.dropFirst(root.path.count + 1)))
        }
        return out.sorted()
    }

    @Test func demoReproducesTheCommittedReports() throws {
        let dir = try temporaryDirectory()
        let r = try runKVReplay(["demo", "--dataset", Self.repository.appendingPathComponent("Datasets/sample").path,
                                 "--out", "reports", "--db", "demo.sqlite"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("audited"))
        let committed = Self.repository.appendingPathComponent("Reports")
        let written = dir.appendingPathComponent("reports")
        let names = try Self.files(under: committed)
        #expect(names == (try Self.files(under: written)))
        #expect(names.contains("report.html") && names.contains("report.md") && names.contains("junit.xml"))
        for name in names {
            let a = try Data(contentsOf: committed.appendingPathComponent(name))
            let b = try Data(contentsOf: written.appendingPathComponent(name))
            #expect(a == b, "Reports/\(name) is not what `kvreplay demo` writes now; run it again and commit Reports/")
        }
    }
}
