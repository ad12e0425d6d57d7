import Foundation
import KVReplayIO
import KVReplayModel

public enum ReportFormat: String, Sendable, CaseIterable {
    case md, json, csv, html, junit
}

public struct ReportWriteError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension ReportModel {
    /// The files of the requested formats, name → bytes (`report.md`, `report.json`, `report.html`, `junit.xml`,
    /// `csv/<table>.csv`), gzip-compressed with a `.gz` suffix when asked.
    public func files(formats: [ReportFormat], gzip: Bool) throws -> [(name: String, bytes: [UInt8])] {
        var out: [(String, [UInt8])] = []
        for f in ReportFormat.allCases where formats.contains(f) {
            switch f {
            case .md: out.append(("report.md", Array(markdown().utf8)))
            case .json: out.append(("report.json", Array((PrettyJSON.pretty(json()).jsonInvisibleEscaped + "\n").utf8)))
            case .html: out.append(("report.html", Array(html().utf8)))
            case .junit: out.append(("junit.xml", Array(junit().utf8)))
            case .csv: for (name, text) in csv() { out.append(("csv/" + name, Array(text.utf8))) }
            }
        }
        if gzip {
            do { out = try out.map { ($0.0 + ".gz", try Gzip.compress($0.1, level: 9)) } } catch {
                throw ReportWriteError(description: "gzip: \(error)")
            }
        }
        return out
    }

    /// Writes the files into `directory`, each through a temporary file renamed into place.
    public func write(to directory: String, formats: [ReportFormat], gzip: Bool) throws -> [String] {
        let fm = FileManager.default
        var written: [String] = []
        for (name, bytes) in try files(formats: formats, gzip: gzip) {
            let path = (directory as NSString).appendingPathComponent(name)
            do {
                try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw ReportWriteError(description: "\(path): cannot write (\(error.localizedDescription))")
            }
            written.append(path)
        }
        return written
    }
}
