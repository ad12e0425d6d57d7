/// What an input file holds (the `kind` column of `source_files`).
public enum SourceKind: String, Sendable {
    case snapshots, logs, idlists
}

/// How a file's ingest ended (the `status` column of `source_files`).
public enum SourceStatus: String, Sendable {
    /// Every record was ingested.
    case ok
    /// Some records were rejected (see `rejects`); the others were ingested.
    case rejects
    /// The file could not be used at all (see `error`); nothing else of it was stored.
    case failed
}

/// A row of `source_files`.
public struct SourceFileRecord: Sendable, Equatable {
    public var id: Int64
    public var sha256: String
    /// SHA-256 of the file's size and first MiB: a quick test for "seen before" that the full hash then confirms.
    public var probe: String
    public var path: String
    public var kind: SourceKind
    public var format: String?
    public var bytes: Int64
    public var status: SourceStatus
    public var records: Int64
    public var added: Int64
    public var duplicates: Int64
    public var rejected: Int64
    public var error: String?
    public var ingestedAt: Int64
}

/// The final counts of a file, written when its transaction ends.
public struct SourceFileResult: Sendable {
    public var format: String?
    public var status: SourceStatus
    public var records: Int64
    public var added: Int64
    public var duplicates: Int64
    public var rejected: Int64
    public var error: String?

    public init(format: String?, status: SourceStatus, records: Int64, added: Int64, duplicates: Int64, rejected: Int64, error: String?) {
        self.format = format
        self.status = status
        self.records = records
        self.added = added
        self.duplicates = duplicates
        self.rejected = rejected
        self.error = error
    }
}

/// A record that could not be ingested.
public struct RejectRow: Sendable, Equatable {
    public var line: Int64?
    /// Where in the file when there is no line: `events[3]`, a KV key, `[2]` for an array element.
    public var record: String?
    public var field: String?
    public var reason: String
    public var excerpt: String?

    public init(line: Int64?, record: String?, field: String?, reason: String, excerpt: String?) {
        self.line = line
        self.record = record
        self.field = field
        self.reason = reason
        self.excerpt = excerpt
    }
}

/// Where a capture time came from, in the order of precedence.
public enum CapturedAtSource: String, Sendable {
    case option, metadata, filename, lcut
}

/// A payload to store, with everything derived from it.
public struct SnapshotInsert: Sendable {
    public var sha256: String
    public var kvKey: String?
    public var kvID: String?
    public var lcut: Int64?
    public var capturedAt: Int64?
    public var capturedAtSource: CapturedAtSource?
    /// `dcs-v1` or `dcs-v2`.
    public var format: String
    public var hasUpdates: Bool
    public var sizeBytes: Int64
    public var overKVLimit: Bool
    public var companyID: String?
    public var counts: SnapshotCounts
    public var payloadZlib: [UInt8]
    /// Where in its file: `""` for a file that is one payload, else the KV key or array position.
    public var sourceRecord: String
    public var entities: [SnapshotEntityRow]

    public init(sha256: String, kvKey: String?, kvID: String?, lcut: Int64?, capturedAt: Int64?, capturedAtSource: CapturedAtSource?,
                format: String, hasUpdates: Bool, sizeBytes: Int64, overKVLimit: Bool, companyID: String?, counts: SnapshotCounts,
                payloadZlib: [UInt8], sourceRecord: String, entities: [SnapshotEntityRow])
    {
        self.sha256 = sha256
        self.kvKey = kvKey
        self.kvID = kvID
        self.lcut = lcut
        self.capturedAt = capturedAt
        self.capturedAtSource = capturedAtSource
        self.format = format
        self.hasUpdates = hasUpdates
        self.sizeBytes = sizeBytes
        self.overKVLimit = overKVLimit
        self.companyID = companyID
        self.counts = counts
        self.payloadZlib = payloadZlib
        self.sourceRecord = sourceRecord
        self.entities = entities
    }
}

/// Entity counts of a payload.
public struct SnapshotCounts: Sendable, Equatable {
    /// Sizes of the three spec collections, readable specs or not.
    public var featureGates = 0
    public var dynamicConfigs = 0
    public var layerConfigs = 0
    /// Readable specs by `entity`.
    public var gates = 0
    public var segments = 0
    public var holdouts = 0
    public var configs = 0
    public var experiments = 0
    public var autotunes = 0
    public var layers = 0
    /// Specs the evaluator cannot read (a required key missing or of the wrong type).
    public var invalidSpecs = 0
    /// Entries of `condition_map` (dcs-v2).
    public var conditions = 0
    /// Names in `id_lists`.
    public var idListNames = 0

    public init() {}
}

/// A spec of a snapshot: its size and a hash of its content, so size trends and changes are plain queries.
public struct SnapshotEntityRow: Sendable, Equatable {
    /// `feature_gates`, `dynamic_configs` or `layer_configs`.
    public var collection: String
    public var name: String
    /// `gate`, `config`, `experiment` or `layer`.
    public var kind: String
    /// The spec's `entity` (`feature_gate`, `segment`, `holdout`, `dynamic_config`, `experiment`, `autotune`, `layer`).
    public var entity: String?
    /// Bytes of the spec's JSON text as it appears in the payload.
    public var jsonBytes: Int64
    /// SHA-256 (hex) of the spec's canonical JSON (keys sorted, no spaces).
    public var specSHA256: String
    public var rules: Int64?
    public var enabled: Bool?
    public var isActive: Bool?
    public var version: Int64?
    public var idType: String?
    public var valid: Bool
    public var problem: String?

    public init(collection: String, name: String, kind: String, entity: String?, jsonBytes: Int64, specSHA256: String,
                rules: Int64?, enabled: Bool?, isActive: Bool?, version: Int64?, idType: String?, valid: Bool, problem: String?)
    {
        self.collection = collection
        self.name = name
        self.kind = kind
        self.entity = entity
        self.jsonBytes = jsonBytes
        self.specSHA256 = specSHA256
        self.rules = rules
        self.enabled = enabled
        self.isActive = isActive
        self.version = version
        self.idType = idType
        self.valid = valid
        self.problem = problem
    }
}

/// A user as seen in one record: the identity and the full object.
public struct UserObservation: Sendable, Equatable {
    /// The canonical identity: `{"customIDs":{...},"userID":"..."}` (keys sorted, values as text, empty IDs left out).
    public var unitKey: String
    public var userID: String?
    /// The custom IDs as a JSON object (keys sorted), nil when there are none.
    public var customIDs: String?
    /// The full user object, compact JSON, members in their logged order.
    public var json: String
    /// Event time (ms since the epoch); the object with the latest time is kept.
    public var time: Int64?
    public var line: Int64?

    public init(unitKey: String, userID: String?, customIDs: String?, json: String, time: Int64?, line: Int64?) {
        self.unitKey = unitKey
        self.userID = userID
        self.customIDs = customIDs
        self.json = json
        self.time = time
        self.line = line
    }
}

/// The kind of a logged exposure.
public enum ExposureKind: String, Sendable, CaseIterable {
    case gate, config, layer
}

/// One logged exposure, ready to insert.
public struct ExposureRow: Sendable, Equatable {
    /// A 64-bit hash of the event's identity (see the README); equal keys are stored once.
    public var dedupeKey: Int64
    public var kind: ExposureKind
    public var entity: String
    public var unitType: String?
    public var unitID: String?
    /// The logged value: the gate value (`true`/`false`), a config's rule ID, a layer's parameter name.
    public var value: String?
    public var groupName: String?
    public var ruleID: String?
    public var rulePassed: Bool?
    public var parameterName: String?
    public var allocatedExperiment: String?
    public var isExplicitParameter: Bool?
    public var time: Int64?
    public var lcut: Int64?
    public var receivedAt: Int64?
    public var configVersion: String?
    public var reason: String?
    public var sdkType: String?
    public var sdkVersion: String?
    public var samplingRate: Int64?
    public var samplingMode: String?
    public var shadowLogged: String?
    public var isManual: Bool?
    public var line: Int64?
    /// Position of the event in its body's `events` array.
    public var record: Int64?

    public init(dedupeKey: Int64, kind: ExposureKind, entity: String) {
        self.dedupeKey = dedupeKey
        self.kind = kind
        self.entity = entity
    }
}
