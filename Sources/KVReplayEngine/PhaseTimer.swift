import Foundation

/// With `KVREPLAY_TIMING` set, prints on standard error each phase's wall time and the resident memory at its end.
struct PhaseTimer {
    let enabled = ProcessInfo.processInfo.environment["KVREPLAY_TIMING"] != nil
    private var start = ContinuousClock.now

    mutating func mark(_ what: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let seconds = Double((now - start).components.attoseconds) / 1e18 + Double((now - start).components.seconds)
        FileHandle.standardError.write(Data("timing: \(what) \(String(format: "%.2f", seconds)) s, resident \(Self.residentMiB()) MiB\n".utf8))
        start = now
    }

    /// The resident set now (Linux `/proc/self/statm`), in MiB; 0 where unknown.
    static func residentMiB() -> Int {
        // /proc files report a size of 0: read them as a stream.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/statm") else { return 0 }
        defer { try? handle.close() }
        let fields = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return (pages * Int(sysconf(Int32(_SC_PAGESIZE)))) >> 20
    }
}
