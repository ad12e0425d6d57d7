import Foundation

/// Small numerical helpers for the report.
enum Statistics {
    /// Pearson's chi-square goodness-of-fit test; returns (statistic, p-value). `expected` are shares summing to 1.
    static func chiSquare(observed: [Int], expectedShares: [Double]) -> (statistic: Double, pValue: Double)? {
        let total = Double(observed.reduce(0, +))
        guard total > 0, observed.count == expectedShares.count, observed.count >= 2 else { return nil }
        var stat = 0.0
        for (o, share) in zip(observed, expectedShares) {
            let e = share * total
            guard e > 0 else { return nil }
            stat += (Double(o) - e) * (Double(o) - e) / e
        }
        let df = Double(observed.count - 1)
        return (stat, regularizedUpperGamma(df / 2, stat / 2))
    }

    /// Q(a, x) = Γ(a, x) / Γ(a), by series for x < a + 1 and continued fraction otherwise (Numerical Recipes §6.2).
    static func regularizedUpperGamma(_ a: Double, _ x: Double) -> Double {
        if x <= 0 { return 1 }
        let gln = logGamma(a)
        if x < a + 1 {
            var ap = a, sum = 1 / a, del = sum
            for _ in 0..<10_000 {
                ap += 1
                del *= x / ap
                sum += del
                if abs(del) < abs(sum) * 1e-15 { break }
            }
            return max(0, 1 - sum * exp(-x + a * log(x) - gln))
        }
        var b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < 1e-300 { d = 1e-300 }
            c = b + an / c
            if abs(c) < 1e-300 { c = 1e-300 }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) < 1e-15 { break }
        }
        return min(1, exp(-x + a * log(x) - gln) * h)
    }

    /// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9; relative error below 1e-13).
    static func logGamma(_ x: Double) -> Double {
        let c: [Double] = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
                           -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
                           1.5056327351493116e-7]
        if x < 0.5 { return log(Double.pi / sin(Double.pi * x)) - logGamma(1 - x) }
        let x = x - 1
        var a = c[0]
        let t = x + 7.5
        for i in 1..<9 { a += c[i] / (x + Double(i)) }
        return 0.5 * log(2 * Double.pi) + (x + 0.5) * log(t) - t + log(a)
    }

    /// Ordinary least squares y = a + b·x; nil with fewer than two distinct x.
    static func linearFit(_ points: [(x: Double, y: Double)]) -> (intercept: Double, slope: Double)? {
        guard points.count >= 2 else { return nil }
        let n = Double(points.count)
        let mx = points.reduce(0) { $0 + $1.x } / n, my = points.reduce(0) { $0 + $1.y } / n
        var sxx = 0.0, sxy = 0.0
        for p in points { sxx += (p.x - mx) * (p.x - mx); sxy += (p.x - mx) * (p.y - my) }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        return (my - slope * mx, slope)
    }
}

/// The chi-square test, for tests and tools.
public enum StatisticsProbe {
    public static func pValue(observed: [Int], shares: [Double]) -> Double {
        Statistics.chiSquare(observed: observed, expectedShares: shares)?.pValue ?? .nan
    }
}
