import CKVHash

/// A piece of text in a ``RowBatch``'s arena; `length == -1` is SQL NULL.
public struct TextRef: Sendable, Equatable {
    public var start: UInt32
    public var length: Int32

    public static let null = TextRef(start: 0, length: -1)

    public init(start: UInt32, length: Int32) {
        self.start = start
        self.length = length
    }

    public var isNull: Bool { length < 0 }
}

/// One exposure of a ``RowBatch``: plain values and references into the arena, so that arrays of them are
/// copied and freed without reference counting. Integers use `Int64.min` for NULL, flags `-1`.
public struct ExposureSlots: Sendable {
    public var dedupeKey: Int64 = 0
    public var kind: ExposureKind = .gate
    public var entity = TextRef.null
    public var unitType = TextRef.null
    public var unitID = TextRef.null
    public var value = TextRef.null
    public var groupName = TextRef.null
    public var ruleID = TextRef.null
    public var rulePassed: Int8 = -1
    public var parameterName = TextRef.null
    public var allocatedExperiment = TextRef.null
    public var isExplicitParameter: Int8 = -1
    public var time = Int64.min
    public var lcut = Int64.min
    public var receivedAt = Int64.min
    public var configVersion = TextRef.null
    public var reason = TextRef.null
    public var sdkType = TextRef.null
    public var sdkVersion = TextRef.null
    public var samplingRate = Int64.min
    public var samplingMode = TextRef.null
    public var shadowLogged = TextRef.null
    public var isManual: Int8 = -1
    public var line = Int64.min
    public var record = Int64.min
    /// Index of the exposure's user in ``RowBatch/users``, -1 for none.
    public var user: Int32 = -1

    public init() {}
}

/// One sighting of a user in a ``RowBatch``.
public struct UserSlots: Sendable {
    /// See ``UserObservation/unitKey``.
    public var unitKey = TextRef.null
    /// ``RowBatch/keyHash(_:)`` of the unit key (the writer's cache key; equal keys are confirmed byte for byte).
    public var keyHash: Int64 = 0
    /// A second hash of the unit key (another seed): with ``keyHash``, 128 bits that tell cached users apart.
    public var keyHash2: Int64 = 0
    public var userID = TextRef.null
    public var customIDs = TextRef.null
    public var json = TextRef.null
    /// ``RowBatch/keyHash(_:)`` of `json` (objects with equal hashes are still compared byte for byte).
    public var jsonHash: Int64 = 0
    public var time = Int64.min
    public var line = Int64.min

    public init() {}
}

/// Rows of one batch of log records, ready for ``StoreWriter/write(_:sourceFileID:)``: all their text in one
/// byte arena that the writer binds straight into SQLite.
public struct RowBatch: Sendable {
    public var arena: [UInt8] = []
    public var exposures: [ExposureSlots] = []
    public var users: [UserSlots] = []

    public init() {}

    /// Copies text into the arena.
    public mutating func text(_ bytes: UnsafeRawBufferPointer) -> TextRef {
        let start = arena.count
        arena.append(contentsOf: bytes)
        return TextRef(start: UInt32(start), length: Int32(bytes.count))
    }

    public mutating func text(_ bytes: UnsafeBufferPointer<UInt8>) -> TextRef { text(UnsafeRawBufferPointer(bytes)) }

    public mutating func text(_ bytes: some Collection<UInt8>) -> TextRef {
        let start = arena.count
        arena.append(contentsOf: bytes)
        return TextRef(start: UInt32(start), length: Int32(arena.count - start))
    }

    public mutating func text(_ s: String?) -> TextRef {
        guard let s else { return .null }
        return text(s.utf8)
    }

    /// The text of a reference (nil for NULL).
    public func string(_ r: TextRef) -> String? {
        guard !r.isNull else { return nil }
        return String(decoding: arena[Int(r.start)..<(Int(r.start) + Int(r.length))], as: UTF8.self)
    }

    /// Adds a user sighting; returns its index.
    @discardableResult
    public mutating func append(user u: UserObservation) -> Int32 {
        var s = UserSlots()
        s.unitKey = text(u.unitKey)
        s.keyHash = RowBatch.keyHash(u.unitKey.utf8)
        s.keyHash2 = Array(u.unitKey.utf8).withUnsafeBytes { RowBatch.keyHash2($0) }
        s.userID = text(u.userID)
        s.customIDs = text(u.customIDs)
        s.json = text(u.json)
        s.jsonHash = RowBatch.keyHash(u.json.utf8)
        s.time = u.time ?? .min
        s.line = u.line ?? .min
        users.append(s)
        return Int32(users.count - 1)
    }

    /// Adds an exposure (and its user) given as Swift values.
    public mutating func append(exposure e: ExposureRow, user: UserObservation?) {
        var x = ExposureSlots()
        x.user = user.map { append(user: $0) } ?? -1
        x.dedupeKey = e.dedupeKey
        x.kind = e.kind
        x.entity = text(e.entity)
        x.unitType = text(e.unitType)
        x.unitID = text(e.unitID)
        x.value = text(e.value)
        x.groupName = text(e.groupName)
        x.ruleID = text(e.ruleID)
        x.rulePassed = e.rulePassed.map { $0 ? 1 : 0 } ?? -1
        x.parameterName = text(e.parameterName)
        x.allocatedExperiment = text(e.allocatedExperiment)
        x.isExplicitParameter = e.isExplicitParameter.map { $0 ? 1 : 0 } ?? -1
        x.time = e.time ?? .min
        x.lcut = e.lcut ?? .min
        x.receivedAt = e.receivedAt ?? .min
        x.configVersion = text(e.configVersion)
        x.reason = text(e.reason)
        x.sdkType = text(e.sdkType)
        x.sdkVersion = text(e.sdkVersion)
        x.samplingRate = e.samplingRate ?? .min
        x.samplingMode = text(e.samplingMode)
        x.shadowLogged = text(e.shadowLogged)
        x.isManual = e.isManual.map { $0 ? 1 : 0 } ?? -1
        x.line = e.line ?? .min
        x.record = e.record ?? .min
        exposures.append(x)
    }

    /// A fast 64-bit hash of a text (MurmurHash64A), for cache keys and quick comparisons. Not an identity.
    public static func keyHash(_ bytes: some Collection<UInt8>) -> Int64 {
        let a = Array(bytes)
        return a.withUnsafeBytes { keyHash($0) }
    }

    public static func keyHash(_ bytes: UnsafeRawBufferPointer) -> Int64 {
        Int64(bitPattern: kv_hash64(bytes.baseAddress, bytes.count, 0x6B76_7265_706C_6179))
    }

    /// ``keyHash(_:)`` with another seed.
    public static func keyHash2(_ bytes: UnsafeRawBufferPointer) -> Int64 {
        Int64(bitPattern: kv_hash64(bytes.baseAddress, bytes.count, 0x5A17_C0DE_9E37_79B9))
    }
}
