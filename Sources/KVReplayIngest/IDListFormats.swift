import Foundation
import KVReplayEvaluation
import KVReplayModel
import KVReplayStore

/// One list's changes from an ID-list file.
struct IDListChanges {
    var name: String
    /// True for a full copy (JSON form): the list is emptied first.
    var replaces: Bool
    var operations: [(add: Bool, hash: String)] = []
}

struct IDListContent {
    var format: String
    var lists: [IDListChanges] = []
    var rejects: [RejectRow] = []
    var records = 0
}

/// ID-list files: Statsig's line format (`+<id>` adds, `-<id>` removes, applied in order onto the list named
/// after the file) or a JSON object of list name to an array of IDs (a full copy of each list).
enum IDListFormats {
    static func read(_ content: [UInt8], fileName: String?, listName: String?, form: IDForm) throws(FileProblem) -> IDListContent {
        var bytes = content[...]
        if bytes.starts(with: SnapshotFormats.utf8BOM) { bytes = bytes.dropFirst(3) }
        guard let first = bytes.first(where: { $0 > 0x20 }) else { throw FileProblem("empty file") }
        if first == UInt8(ascii: "{") { return try readJSON(Array(bytes), form: form) }
        guard let name = listName ?? fileName.map(listName(fromFileName:)), !name.isEmpty else {
            throw FileProblem("an ID list read from standard input needs a name (--list NAME)")
        }
        var out = IDListContent(format: "idlist-lines")
        var changes = IDListChanges(name: name, replaces: false)
        for (number, line) in FileLines.split(Array(bytes)) {
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            out.records += 1
            guard let sign = text.first, sign == "+" || sign == "-" else {
                out.rejects.append(RejectRow(line: Int64(number), record: nil, field: nil, reason: "expected +<id> or -<id>", excerpt: Excerpt.of(line)))
                continue
            }
            let id = String(text.dropFirst()).trimmingCharacters(in: .whitespaces)
            switch hash(id, form: form, lineFile: true) {
            case .success(let h): changes.operations.append((sign == "+", h))
            case .failure(let p):
                out.rejects.append(RejectRow(line: Int64(number), record: nil, field: nil, reason: p.reason, excerpt: Excerpt.of(line)))
            }
        }
        if changes.operations.isEmpty && out.records > 0 && out.rejects.count == out.records {
            throw FileProblem("not an ID list: no line is +<id> or -<id>")
        }
        out.lists = [changes]
        return out
    }

    /// `users.txt.gz` → `users`.
    static func listName(fromFileName name: String) -> String {
        var n = name
        if n.hasSuffix(".gz") { n.removeLast(3) }
        if let dot = n.lastIndex(of: "."), dot != n.startIndex { n = String(n[..<dot]) }
        return n
    }

    static func hash(_ id: String, form: IDForm, lineFile: Bool) -> Result<String, RecordProblem> {
        if id.isEmpty { return .failure(RecordProblem(field: nil, reason: "empty ID")) }
        switch form {
        case .raw:
            return .success(Hashing.idListHash(of: id))
        case .hashed:
            guard id.utf8.count == 8 else { return .failure(RecordProblem(field: nil, reason: "\"\(id.prefix(40))\" is not an 8-character ID hash")) }
            return .success(id)
        case .auto:
            return .success(lineFile && id.utf8.count == 8 ? id : Hashing.idListHash(of: id))
        }
    }

    static func readJSON(_ bytes: [UInt8], form: IDForm) throws(FileProblem) -> IDListContent {
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch {
            throw FileProblem(error.offset >= bytes.count ? "truncated: the JSON ends early (\(error))" : "not valid JSON (\(error))")
        }
        guard case .object(let o) = json else { throw FileProblem("expected a JSON object of list name to an array of IDs") }
        // Statsig's `get_id_lists` manifest (`{name: {name, size, url, creationTime, fileID}}`) names lists but holds no
        // IDs: it is recognised and adds nothing, the list files themselves carry the IDs.
        if !o.isEmpty, o.values.allSatisfy({ $0.objectValue.map { $0["url"] != nil || $0["fileID"] != nil } ?? false }) {
            return IDListContent(format: "idlist-manifest")
        }
        var out = IDListContent(format: "idlist-json")
        for (name, ids) in o.members {
            guard case .array(let a) = ids else {
                out.records += 1
                out.rejects.append(RejectRow(line: nil, record: name, field: nil, reason: "is \(ids.kindName), expected an array of IDs",
                                             excerpt: Excerpt.of(SnapshotFormats.compact(ids))))
                continue
            }
            var changes = IDListChanges(name: name, replaces: true)
            for (i, v) in a.enumerated() {
                out.records += 1
                let id: String
                switch v {
                case .string(let s): id = s
                case .int(let n): id = String(n)
                default:
                    out.rejects.append(RejectRow(line: nil, record: "\(name)[\(i)]", field: nil, reason: "is \(v.kindName), expected a string ID",
                                                 excerpt: Excerpt.of(SnapshotFormats.compact(v))))
                    continue
                }
                switch hash(id, form: form, lineFile: false) {
                case .success(let h): changes.operations.append((true, h))
                case .failure(let p):
                    out.rejects.append(RejectRow(line: nil, record: "\(name)[\(i)]", field: nil, reason: p.reason, excerpt: Excerpt.of(Array(id.utf8))))
                }
            }
            out.lists.append(changes)
        }
        return out
    }
}

enum FileLines {
    /// Lines (LF or CRLF) with 1-based numbers.
    static func split(_ bytes: [UInt8]) -> [(Int, ArraySlice<UInt8>)] {
        var out: [(Int, ArraySlice<UInt8>)] = []
        var start = 0
        var n = 1
        for i in bytes.indices where bytes[i] == 0x0A {
            var end = i
            if end > start, bytes[end - 1] == 0x0D { end -= 1 }
            out.append((n, bytes[start..<end]))
            start = i + 1
            n += 1
        }
        if start < bytes.count { out.append((n, bytes[start...])) }
        return out
    }
}
