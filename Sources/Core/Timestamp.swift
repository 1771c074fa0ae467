import Foundation

/// An instant with nanosecond resolution, stored as nanoseconds since the Unix epoch so
/// that a stored record round-trips exactly and prints the way Go's `time.RFC3339Nano`
/// does (`2026-11-22T09:20:28.696858721Z`, trailing zeros of the fraction dropped).
///
/// A value type: immutable, `Sendable`, and encoded in records as a bare integer.
public struct Timestamp: Sendable, Hashable, Comparable, Codable {
    public var nanosecondsSinceEpoch: Int64

    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// The instant of `date`, rounded to the nearest nanosecond. Whole seconds and the
    /// fraction are converted apart, so the fraction keeps the precision a `Date` has.
    public init(_ date: Date) {
        let interval = date.timeIntervalSince1970
        guard interval.isFinite, abs(interval) < 9.2e9 else {
            nanosecondsSinceEpoch = interval < 0 ? Int64.min : Int64.max
            return
        }
        let seconds = Int64(interval.rounded(.down))
        let nanos = Int64(((interval - Double(seconds)) * 1_000_000_000).rounded())
        nanosecondsSinceEpoch = seconds * 1_000_000_000 + nanos
    }

    public init(from decoder: any Decoder) throws {
        nanosecondsSinceEpoch = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(nanosecondsSinceEpoch)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    /// This instant moved by `seconds` (saturating instead of overflowing).
    public func adding(seconds: Int64) -> Timestamp {
        let (delta, overflowDelta) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, overflowSum) = nanosecondsSinceEpoch.addingReportingOverflow(delta)
        if overflowDelta || overflowSum {
            return Timestamp(nanosecondsSinceEpoch: seconds < 0 ? Int64.min : Int64.max)
        }
        return Timestamp(nanosecondsSinceEpoch: sum)
    }

    /// Go's `time.Time.Format(time.RFC3339Nano)` of this instant in UTC.
    public var rfc3339Nano: String {
        let (seconds, fraction) = Self.floorDivide(nanosecondsSinceEpoch, 1_000_000_000)
        let (days, secondOfDay) = Self.floorDivide(seconds, 86_400)
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        var text = Self.pad(year, 4) + "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2) + "T"
        text += Self.pad(secondOfDay / 3600, 2) + ":" + Self.pad(secondOfDay % 3600 / 60, 2) + ":"
        text += Self.pad(secondOfDay % 60, 2)
        if fraction != 0 {
            var digits = Self.pad(fraction, 9)
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text + "Z"
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Year, month and day of a count of days since 1970-01-01 (proleptic Gregorian).
    private static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
