public import KVReplayModel

/// A record of an input file that was skipped, with where and why.
public struct InputProblem: Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var field: String?
    public var problem: String

    public init(file: String, line: Int, field: String?, problem: String) {
        self.file = file
        self.line = line
        self.field = field
        self.problem = problem
    }

    public var description: String {
        "\(file):\(line): " + (field.map { "field \"\($0)\": " } ?? "") + problem
    }
}

/// A users file: one Statsig user object per line (JSON Lines), blank lines ignored.
public struct UsersFile: Sendable {
    /// The users that could be read, with their record index and line number.
    public var users: [StatsigUser]
    /// Record index `u` of each user: the position among the file's non-blank lines, so a bad line does not
    /// shift the users after it.
    public var indices: [Int]
    public var lines: [Int]
    public var problems: [InputProblem]

    public static func load(_ path: String) throws(FileError) -> UsersFile {
        try parse(FileReading.readAll(path), file: path)
    }

    public static func parse(_ bytes: [UInt8], file: String) -> UsersFile {
        var result = UsersFile(users: [], indices: [], lines: [], problems: [])
        var index = 0
        for (number, line) in FileReading.lines(bytes) {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            defer { index += 1 }
            do {
                let json = try JSONParser.parse(line)
                do {
                    result.users.append(try StatsigUser(json: json))
                    result.indices.append(index)
                    result.lines.append(number)
                } catch {
                    result.problems.append(InputProblem(file: file, line: number, field: error.field, problem: error.problem))
                }
            } catch {
                result.problems.append(InputProblem(file: file, line: number, field: nil, problem: "not valid JSON (column \(error.column): \(error.reason))"))
            }
        }
        return result
    }
}

/// An ID-lists file: a JSON object mapping each list name to an array of unit IDs.
public enum IDListsFile {
    public static func load(_ path: String) throws(FileError) -> [String: [String]] {
        let bytes = try FileReading.readAll(path)
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch {
            throw FileError(path: path, problem: "not valid JSON (\(error))")
        }
        guard let o = json.objectValue else {
            throw FileError(path: path, problem: "expected a JSON object of list name to an array of IDs, found \(json.kindName)")
        }
        var lists: [String: [String]] = [:]
        for (name, ids) in o.members {
            guard let a = ids.arrayValue else {
                throw FileError(path: path, problem: "list \"\(name)\" is \(ids.kindName), expected an array of IDs")
            }
            var out: [String] = []
            for (i, id) in a.enumerated() {
                switch id {
                case .string(let s): out.append(s)
                case .int(let n): out.append(String(n))
                default: throw FileError(path: path, problem: "list \"\(name)\" item \(i) is \(id.kindName), expected a string ID")
                }
            }
            lists[name] = out
        }
        return lists
    }
}
