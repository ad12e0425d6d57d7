import Foundation
import KVReplayCapture
import KVReplayModel
import Testing

@Suite("capture from Cloudflare KV (local fake of the REST API)")
struct CloudflareCaptureTests {
    @Test("a key's value is written byte for byte, named by capture time, with its source and metadata in the journal")
    func writesValue() async throws {
        let payload = try samplePayload()
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": payload])
        fake.metadata.set(["statsig-A": "{\"writer\":\"statsig\"}"])
        let h = try Harness()
        let outcomes = try await h.capturer(h.kv(fake)).captureOnce()
        #expect(outcomes.count == 1)
        let o = try #require(outcomes.first)
        #expect(o.written?.hasSuffix("/2026-01-05T10-00-00.123Z_statsig-A.json") == true)
        #expect(files(in: h.dir) == ["2026-01-05T10-00-00.123Z_statsig-A.json"])
        let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try #require(o.written))))
        #expect(written == payload)
        #expect(o.bytes == payload.count)
        #expect(o.overKVLimit == false)
        #expect(o.lcut != nil)
        // The requests: the value and the metadata, with the token as a bearer header.
        let paths = fake.server.requests.map(\.path)
        #expect(paths.contains { $0.hasSuffix("/values/statsig-A") } && paths.contains { $0.hasSuffix("/metadata/statsig-A") })
        #expect(fake.server.requests.allSatisfy { $0.headers["authorization"] == "Bearer \(token)" })
        // The journal: one line naming the source; the token nowhere on disk.
        let journal = try String(contentsOfFile: (h.dir as NSString).appendingPathComponent(SnapshotFolder.journalName), encoding: .utf8)
        let lines = journal.split(separator: "\n")
        #expect(lines.count == 1)
        let entry = try #require(try JSONParser.parse(String(lines[0])).objectValue)
        #expect(entry["source"]?.stringValue == "cloudflare-kv")
        #expect(entry["account"]?.stringValue == accountID)
        #expect(entry["namespace"]?.stringValue == namespaceID)
        #expect(entry["key"]?.stringValue == "statsig-A")
        #expect(entry["file"]?.stringValue == "2026-01-05T10-00-00.123Z_statsig-A.json")
        #expect(entry["captured_at"]?.stringValue == "2026-01-05T10:00:00.123Z")
        #expect(entry["sha256"]?.stringValue == o.sha256)
        #expect(entry["metadata"]?.objectValue?["writer"]?.stringValue == "statsig")
        #expect(!journal.contains(token))
    }

    @Test("an unchanged value (same SHA-256 as the last capture) writes nothing; a changed one writes a new file")
    func dedupe() async throws {
        let payload = try samplePayload()
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": payload])
        let h = try Harness()
        let capturer = h.capturer(h.kv(fake))
        let first = try await capturer.captureOnce()[0]
        h.clock.advance(60)
        let second = try await capturer.captureOnce()[0]
        #expect(second.written == nil)
        #expect(second.previous == first.written)
        #expect(files(in: h.dir).count == 1)
        // A new capturer (a new process) finds the last capture from the folder.
        h.clock.advance(60)
        let third = try await h.capturer(h.kv(fake)).captureOnce()[0]
        #expect(third.written == nil && third.previous == first.written)
        // A change is written.
        var changed = payload
        changed.append(contentsOf: Array("\n".utf8))
        changed.insert(contentsOf: Array(" ".utf8), at: 1)
        fake.values.set(["statsig-A": changed])
        h.clock.advance(60)
        let fourth = try await capturer.captureOnce()[0]
        #expect(fourth.written?.hasSuffix("2026-01-05T10-03-00.123Z_statsig-A.json") == true)
        #expect(files(in: h.dir).count == 2)
        // And the first value again is a change from the last capture, so it is written too.
        fake.values.set(["statsig-A": payload])
        h.clock.advance(60)
        #expect(try await capturer.captureOnce()[0].written != nil)
        let journal = try String(contentsOfFile: (h.dir as NSString).appendingPathComponent(SnapshotFolder.journalName), encoding: .utf8)
        #expect(journal.split(separator: "\n").count == 3)
    }

    @Test("without --key, the namespace's statsig-* keys are listed page by page (cursor) and each is captured")
    func listsKeys() async throws {
        let payload = try samplePayload()
        let fake = try FakeCloudflare()
        fake.pageSize = 2
        fake.values.set(["statsig-A": payload, "statsig-B": payload, "statsig-C": payload, "other": Array("x".utf8)])
        let h = try Harness()
        let outcomes = try await h.capturer(h.kv(fake, key: nil)).captureOnce()
        #expect(outcomes.map(\.key) == ["statsig-A", "statsig-B", "statsig-C"])
        #expect(files(in: h.dir).count == 3)
        let lists = fake.server.requests.filter { $0.path.hasSuffix("/keys") }
        #expect(lists.count == 2)
        #expect(lists.allSatisfy { $0.query["prefix"] == "statsig-" })
        #expect(lists[0].query["cursor"] == nil && lists[1].query["cursor"] == "2")
    }

    @Test("401, 403 and 404 fail at once (no retry) with a message that names what to fix, exit status 4")
    func refusals() async throws {
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": try samplePayload()])
        let h = try Harness()

        let wrongToken = await captureError { _ = try await h.capturer(h.kv(fake, token: "nope")).captureOnce() }
        #expect(wrongToken?.exitCode == 4)
        #expect(wrongToken?.description.contains("HTTP 401") == true)
        #expect(wrongToken?.description.contains("CLOUDFLARE_API_TOKEN") == true)
        #expect(wrongToken?.description.contains("10000: Authentication error") == true)
        #expect(wrongToken?.description.contains("nope") == false)
        #expect(fake.server.requests.count == 1)

        fake.script("/values/statsig-A", [.json(FakeCloudflare.failure(10001, "Unauthorized to access requested resource"), status: 403)])
        let denied = await captureError { _ = try await h.capturer(h.kv(fake)).captureOnce() }
        #expect(denied?.exitCode == 4)
        #expect(denied?.description.contains("HTTP 403") == true)
        #expect(denied?.description.contains("Workers KV Storage > Read") == true)

        let missingKey = await captureError { _ = try await h.capturer(h.kv(fake, key: "statsig-Z")).captureOnce() }
        #expect(missingKey?.exitCode == 4)
        #expect(missingKey?.description.contains("no key statsig-Z in namespace \(namespaceID)") == true)
        #expect(missingKey?.description.contains("--key") == true)

        let missingNamespace = await captureError {
            _ = try await h.capturer(.cloudflareKV(apiBase: fake.apiBase, account: accountID, namespace: "0000", key: nil, token: token)).captureOnce()
        }
        #expect(missingNamespace?.exitCode == 4)
        #expect(missingNamespace?.description.contains("no namespace 0000") == true)
        #expect(h.sleeper.delays.get.isEmpty)
        #expect(files(in: h.dir).isEmpty)
    }

    @Test("a {\"success\": false} envelope is an error with the API's messages, exit status 1")
    func successFalse() async throws {
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": try samplePayload()])
        fake.script("/metadata/statsig-A", [.json(FakeCloudflare.failure(10050, "metadata temporarily unreadable"))])
        let h = try Harness()
        let e = await captureError { _ = try await h.capturer(h.kv(fake)).captureOnce() }
        #expect(e?.exitCode == 1)
        #expect(e?.description.contains("success: false (10050: metadata temporarily unreadable)") == true)
        #expect(files(in: h.dir).isEmpty)
    }

    @Test("429 waits its Retry-After, 5xx backs off exponentially, then the capture succeeds")
    func retries() async throws {
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": try samplePayload()])
        fake.script("/values/statsig-A", [
            FakeResponse(status: 429, headers: [("Retry-After", "7")], body: Array(FakeCloudflare.failure(10429, "rate limited").utf8)),
            .json(FakeCloudflare.failure(10002, "internal error"), status: 500),
            FakeResponse(status: 503, body: Array("upstream unavailable".utf8)),
        ])
        let h = try Harness()
        let outcomes = try await h.capturer(h.kv(fake)).captureOnce()
        #expect(outcomes[0].written != nil)
        #expect(h.sleeper.delays.get == [7, 4, 8])
        #expect(h.logs.get.count == 3)
        #expect(h.logs.get[0].contains("HTTP 429") && h.logs.get[0].contains("Retry-After 7 s"))
        #expect(h.logs.get[1].contains("HTTP 500 (10002: internal error)"))
        // The capture time is when the value arrived, after the waits.
        #expect(outcomes[0].capturedAt == 1_767_607_200_123 + 19_000)
    }

    @Test("5xx every time: gives up after the attempts with exit status 5; Retry-After is capped")
    func givesUp() async throws {
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": try samplePayload()])
        fake.script("/values/statsig-A", Array(repeating: .json(FakeCloudflare.failure(10002, "internal error"), status: 502), count: 3)
            + [FakeResponse(status: 429, headers: [("Retry-After", "100000")])])
        let h = try Harness()
        let e = await captureError { _ = try await h.capturer(h.kv(fake), policy: RetryPolicy(maxAttempts: 4, baseDelay: 1, timeout: 10)).captureOnce() }
        #expect(e?.exitCode == 5)
        #expect(e?.description.contains("gave up after 4 attempts") == true)
        #expect(e?.description.contains("HTTP 429") == true)
        #expect(h.sleeper.delays.get == [1, 2, 4])
        #expect(fake.server.requests.count == 4)
        #expect(RetryPolicy().delay(retry: 1, retryAfter: 100_000) == 300)
        #expect(files(in: h.dir).isEmpty)
    }

    @Test("a body cut short is retried, and reported when it keeps happening")
    func truncatedBody() async throws {
        let payload = try samplePayload()
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": payload])
        let cut = FakeResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: payload, cutAfter: 1000)
        fake.script("/values/statsig-A", [cut])
        let h = try Harness()
        let ok = try await h.capturer(h.kv(fake)).captureOnce()
        #expect(ok[0].written != nil)
        #expect(h.sleeper.delays.get.count == 1)
        #expect(h.logs.get.first?.contains("cut short") == true)
        let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ok[0].written!)))
        #expect(written == payload)

        fake.script("/values/statsig-A", [cut, cut])
        let h2 = try Harness()
        let e = await captureError { _ = try await h2.capturer(h2.kv(fake), policy: RetryPolicy(maxAttempts: 2, timeout: 10)).captureOnce() }
        #expect(e?.exitCode == 5)
        #expect(e?.description.contains("cut short") == true, "\(String(describing: e))")
        #expect(files(in: h2.dir).isEmpty)
    }

    @Test("a slow response hits the per-request timeout (real time), exit status 5")
    func slowResponse() async throws {
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": try samplePayload()])
        fake.script("/values/statsig-A", [FakeResponse(status: 200, body: Array("{}".utf8), delay: 3)])
        let h = try Harness()
        let start = Date()
        let e = await captureError { _ = try await h.capturer(h.kv(fake), policy: RetryPolicy(maxAttempts: 1, timeout: 1)).captureOnce() }
        let elapsed = Date().timeIntervalSince(start)
        #expect(e?.exitCode == 5)
        #expect(e?.description.contains("no complete response within 1 s (timeout per request)") == true, "\(String(describing: e))")
        #expect(elapsed >= 0.95, "\(elapsed)")
        // The server saw the client give up after about the timeout, not after its 3 s delay. (Measured on the
        // server's thread: the test's own resumption can wait long for a thread when the whole suite runs.)
        let abandoned = try #require(fake.server.abandoned.first)
        #expect(abandoned >= 0.9 && abandoned < 2.5, "\(abandoned)")
    }

    @Test("a value over Workers KV's 25 MiB limit is written and flagged")
    func overLimit() async throws {
        var big = Array("{\"feature_gates\":[],\"dynamic_configs\":[],\"layer_configs\":[],\"time\":1767600000000,\"padding\":\"".utf8)
        big.append(contentsOf: [UInt8](repeating: UInt8(ascii: "x"), count: Capturer.kvValueLimit))
        big.append(contentsOf: Array("\"}".utf8))
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": big])
        let h = try Harness()
        let o = try await h.capturer(h.kv(fake)).captureOnce()[0]
        #expect(o.overKVLimit)
        #expect(o.bytes == big.count)
        let attributes = try FileManager.default.attributesOfItem(atPath: try #require(o.written))
        #expect((attributes[.size] as? Int) == big.count)
    }

    @Test("a value that is not a payload is an error (exit 2) and nothing is written; a listed one is passed over")
    func notAPayload() async throws {
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": Array("{\"hello\":1}".utf8), "statsig-B": try samplePayload()])
        let h = try Harness()
        let e = await captureError { _ = try await h.capturer(h.kv(fake)).captureOnce() }
        #expect(e?.exitCode == 2)
        #expect(e?.description.contains("statsig-A: the value is not a config-specs payload") == true)
        #expect(files(in: h.dir).isEmpty)
        let listed = try await h.capturer(h.kv(fake, key: nil)).captureOnce()
        #expect(listed.map(\.key) == ["statsig-B"])
        #expect(h.logs.get.contains { $0.contains("statsig-A passed over") })
    }

    @Test("a connection refused is retried and reported with exit 5")
    func connectionRefused() async throws {
        let fake = try FakeCloudflare()
        let base = fake.apiBase
        fake.server.stop()
        let h = try Harness()
        let e = await captureError {
            _ = try await h.capturer(.cloudflareKV(apiBase: base, account: accountID, namespace: namespaceID, key: "statsig-A", token: token),
                                     policy: RetryPolicy(maxAttempts: 2, timeout: 5)).captureOnce()
        }
        #expect(e?.exitCode == 5)
        #expect(h.sleeper.delays.get == [2])
    }
}
