/// A text table laid out like the `columnize` package that Vault's CLI uses: cells trimmed, an empty cell shown
/// as `n/a`, every column but a row's last padded to the widest cell in that column, columns joined by four
/// spaces.
struct Table {
    private(set) var rows: [[String]]

    init(rows: [[String]] = []) {
        self.rows = rows
    }

    mutating func append(_ cells: String...) {
        rows.append(cells)
    }

    mutating func append(cells: [String]) {
        rows.append(cells)
    }

    /// A table whose first row is a header, followed by a row of dashes under each header cell, as Vault's
    /// `tableOutput` draws it.
    static func withHeader(_ header: [String], rows: [[String]]) -> Table {
        let underline = header.map { String(repeating: "-", count: $0.trimmingWhitespace().count) }
        return Table(rows: [header, underline] + rows)
    }

    /// The laid-out text without a trailing newline; empty for a table without rows.
    func render() -> String {
        let cleaned = rows.map { row in
            row.map { cell -> String in
                let trimmed = cell.trimmingWhitespace()
                return trimmed.isEmpty ? "n/a" : trimmed
            }
        }
        var widths: [Int] = []
        for row in cleaned {
            for (column, cell) in row.enumerated() {
                if column >= widths.count {
                    widths.append(0)
                }
                widths[column] = max(widths[column], cell.count)
            }
        }
        let lines = cleaned.map { row -> String in
            var line = ""
            for (column, cell) in row.enumerated() {
                if column == row.count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[column] - cell.count) + "    "
                }
            }
            return line
        }
        return lines.joined(separator: "\n").trimmingWhitespace()
    }
}

extension StringProtocol {
    /// The text without leading or trailing spaces, tabs and newlines (Go's `strings.TrimSpace`).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
