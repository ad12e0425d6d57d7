import Foundation
import KVReplayCapture
import Testing

/// Statsig's CDN: `GET /v1/download_config_specs/<secret>.json` with the secret also in `STATSIG-API-KEY`.
func fakeStatsig(payload: Shared<[UInt8]>, secret: String, scripted: Shared<[FakeResponse]> = Shared([])) throws -> FakeHTTPServer {
    try FakeHTTPServer { r in
        if let next = scripted.update({ s -> FakeResponse? in s.isEmpty ? nil : s.removeFirst() }) { return next }
        guard r.path == "/v1/download_config_specs/\(secret).json", r.headers["statsig-api-key"] == secret else {
            return .json("{\"message\":\"Invalid key provided\"}", status: 403)
        }
        return .bytes(payload.get)
    }
}

@Suite("capture from Statsig's config-specs download, and the watcher")
struct StatsigAndWatchTests {
    let secret = "secret-TESTabc123"

    @Test("the DCS v1 download is written as a snapshot that names its source; the secret is in no file and no message")
    func statsigDownload() async throws {
        let payload = try samplePayload()
        let server = try fakeStatsig(payload: Shared(payload), secret: secret)
        let h = try Harness()
        let o = try await h.capturer(.statsigDCS(apiBase: server.base + "/v1", secret: secret, key: nil)).captureOnce()
        #expect(o.count == 1)
        #expect(o[0].written?.hasSuffix("2026-01-05T10-00-00.123Z_dcs.json") == true)
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: o[0].written!))) == payload)
        let journal = try String(contentsOfFile: (h.dir as NSString).appendingPathComponent(SnapshotFolder.journalName), encoding: .utf8)
        #expect(journal.contains("\"source\":\"statsig-dcs\""))
        #expect(!journal.contains(secret))
        // --key names the file like a KV capture.
        let keyed = try await h.capturer(.statsigDCS(apiBase: server.base + "/v1", secret: secret, key: "statsig-A")).captureOnce()
        #expect(keyed[0].written?.hasSuffix("_statsig-A.json") == true)
    }

    @Test("a refused secret is exit 4 naming STATSIG_SERVER_SECRET, and the secret is not shown; a failure shows the URL redacted")
    func statsigRefused() async throws {
        let scripted = Shared<[FakeResponse]>([])
        let server = try fakeStatsig(payload: Shared(try samplePayload()), secret: secret, scripted: scripted)
        let h = try Harness()
        let wrong = "secret-WRONG999"
        let e = await captureError { _ = try await h.capturer(.statsigDCS(apiBase: server.base + "/v1", secret: wrong, key: nil)).captureOnce() }
        #expect(e?.exitCode == 4)
        #expect(e?.description.contains("STATSIG_SERVER_SECRET") == true)
        #expect(e?.description.contains("Invalid key provided") == true)
        #expect(e?.description.contains(wrong) == false)

        scripted.set([FakeResponse(status: 500), FakeResponse(status: 500)])
        let down = await captureError {
            _ = try await h.capturer(.statsigDCS(apiBase: server.base + "/v1", secret: secret, key: nil), policy: RetryPolicy(maxAttempts: 2, timeout: 5)).captureOnce()
        }
        #expect(down?.exitCode == 5)
        #expect(down?.description.contains("download_config_specs/$STATSIG_SERVER_SECRET.json") == true)
        #expect(down?.description.contains(secret) == false)
        #expect(h.logs.get.allSatisfy { !$0.contains(secret) })
    }

    @Test("--every: captures each period, writes only changes, and a failure that may pass does not end the watch")
    func watch() async throws {
        let payload = try samplePayload()
        let fake = try FakeCloudflare()
        fake.values.set(["statsig-A": payload])
        let h = try Harness()
        let capturer = h.capturer(h.kv(fake), policy: RetryPolicy(maxAttempts: 1, timeout: 5))
        let cycle = Shared(0)
        let written = Shared<[String]>([])
        let failed = try await capturer.watch(every: 300, cycles: 4) { outcomes in
            written.update { $0.append(contentsOf: outcomes.compactMap(\.written)) }
            let n = cycle.update { c -> Int in c += 1; return c }
            // 10:00 written; 10:05 fails once (503); 10:10 unchanged, then the value changes; 10:15 written.
            if n == 1 { fake.script("/values/statsig-A", [FakeResponse(status: 503)]) }
            if n == 2 {
                var changed = payload
                changed.append(0x0A)
                changed.insert(0x20, at: 1)
                fake.values.set(["statsig-A": changed])
            }
        }
        #expect(failed == 1)
        #expect(cycle.get == 3)
        #expect(written.get.map { ($0 as NSString).lastPathComponent } == [
            "2026-01-05T10-00-00.123Z_statsig-A.json", "2026-01-05T10-15-00.123Z_statsig-A.json",
        ])
        #expect(h.sleeper.delays.get == [300, 300, 300])
        #expect(h.logs.get.contains { $0.contains("HTTP 503") && $0.contains("the watch goes on") })

        // A refusal ends the watch with its error.
        fake.script("/values/statsig-A", [.json(FakeCloudflare.failure(10000, "Authentication error"), status: 401)])
        let e = await captureError { _ = try await capturer.watch(every: 300, cycles: 5) }
        #expect(e?.exitCode == 4)
    }

    @Test("durations and Retry-After")
    func parsing() {
        #expect(Durations.parse("90") == 90)
        #expect(Durations.parse("90s") == 90)
        #expect(Durations.parse("15m") == 900)
        #expect(Durations.parse("1h30m") == 5400)
        #expect(Durations.parse("1d") == 86400)
        #expect(Durations.parse("5x") == nil)
        #expect(Durations.parse("m") == nil)
        #expect(Durations.parse("10m5") == nil)
        let now = Date(timeIntervalSince1970: 1_767_607_200)
        #expect(RetryPolicy.retryAfter("120", now: now) == 120)
        #expect(RetryPolicy.retryAfter("Mon, 05 Jan 2026 10:00:30 GMT", now: now) == 30)
        #expect(RetryPolicy.retryAfter("soon", now: now) == nil)
        #expect(SnapshotFolder.timeText(1_767_607_200_123) == "2026-01-05T10-00-00.123Z")
        #expect(SnapshotFolder.stem(key: "statsig-a|b") == "statsig-a_b")
    }
}
