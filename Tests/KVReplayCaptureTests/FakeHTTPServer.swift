import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A request as the fake server saw it.
struct FakeRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    /// Header names in lower case.
    var headers: [String: String]
}

/// What the fake server sends back.
struct FakeResponse: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    /// Seconds to wait before sending anything (a slow server).
    var delay: Double = 0
    /// Send only this many bytes of the body, then close (Content-Length still announces the whole body).
    var cutAfter: Int? = nil

    static func json(_ text: String, status: Int = 200) -> FakeResponse {
        FakeResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
    }

    static func bytes(_ body: [UInt8], status: Int = 200) -> FakeResponse {
        FakeResponse(status: status, headers: [("Content-Type", "application/octet-stream")], body: body)
    }
}

/// An HTTP/1.1 server on 127.0.0.1 (a port the system picks) over POSIX sockets, one thread per connection,
/// `Connection: close`. It speaks just enough HTTP for a GET client, and can misbehave on purpose.
final class FakeHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let handler: @Sendable (FakeRequest) -> FakeResponse
    private let lock = NSLock()
    private var seen: [FakeRequest] = []
    private var stopped = false
    private var gaveUp: [Double] = []

    init(handler: @escaping @Sendable (FakeRequest) -> FakeResponse) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    var base: String { "http://127.0.0.1:\(port)" }

    var requests: [FakeRequest] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    /// For each delayed response the client abandoned: seconds from the request to the client closing the connection.
    var abandoned: [Double] {
        lock.lock()
        defer { lock.unlock() }
        return gaveUp
    }

    func stop() {
        lock.lock()
        let already = stopped
        stopped = true
        lock.unlock()
        if !already {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                lock.lock()
                let done = stopped
                lock.unlock()
                if done || (errno != EINTR && errno != ECONNABORTED) { return }
                continue
            }
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end: [UInt8] = [13, 10, 13, 10]
        while !received.containsSequence(end) {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return }
            received.append(contentsOf: buffer[..<n])
            if received.count > 65536 { return }
        }
        let head = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = head[0].split(separator: " ")
        guard parts.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in head.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let target = String(parts[1])
        let components = URLComponents(string: target)
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let request = FakeRequest(method: String(parts[0]), path: components?.percentEncodedPath ?? target, query: query, headers: headers)
        lock.lock()
        seen.append(request)
        lock.unlock()
        let response = handler(request)
        if response.delay > 0 {
            // Wait, watching for the client to give up (it closes the connection: poll says readable, recv gives 0).
            let start = Date()
            while true {
                let left = response.delay - Date().timeIntervalSince(start)
                if left <= 0 { break }
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, Int32(left * 1000) + 1) > 0 {
                    var byte: UInt8 = 0
                    if recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) <= 0 {
                        let after = Date().timeIntervalSince(start)
                        lock.lock()
                        gaveUp.append(after)
                        lock.unlock()
                        return
                    }
                }
            }
        }
        var out = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        out += "Content-Length: \(response.body.count)\r\nConnection: close\r\n"
        for (name, value) in response.headers { out += "\(name): \(value)\r\n" }
        out += "\r\n"
        var bytes = Array(out.utf8)
        bytes.append(contentsOf: response.body.prefix(response.cutAfter ?? response.body.count))
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
        shutdown(fd, Int32(SHUT_WR))
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}

extension Array where Element == UInt8 {
    func containsSequence(_ s: [UInt8]) -> Bool {
        guard count >= s.count else { return false }
        for i in 0...(count - s.count) where self[i..<(i + s.count)].elementsEqual(s) { return true }
        return false
    }
}
