public import KVReplayEvaluation
public import KVReplayModel

extension ReportInput {
    /// What a report reads of a snapshot's specs.
    ///
    /// `StoreReportLoader` computes it one snapshot at a time and drops the parsed payload, so a report over a long
    /// history holds at most two payloads at once; an input built with ``Snapshot/specs`` gets it computed from them.
    public struct SpecFacts: Sendable {
        /// Specs in the payload, valid or not.
        public var entities: Int
        /// Per gate: its rules' IDs and pass percentages, in order (the first spec of a name).
        public var gateRules: [EntityRef: [(id: String, passPercentage: Double)]]
        /// Per experiment: its group allocation (the first spec of a name).
        public var allocations: [EntityRef: [(group: String, share: Double)]]
        /// Bytes of each spec's JSON; computed for the first and the last snapshot only (what the size tables compare).
        public var sizes: [EntityRef: Int]?
        /// The what-if target-app sizes; computed for the last snapshot only.
        public var targetApps: [ReportModel.TargetAppSize]?
        /// The entities of this snapshot and the one before it, sorted (empty for the first snapshot).
        public var entitiesWithPrevious: [EntityRef]
        /// The spec changes from the snapshot before, for the entities whose spec differs.
        public var changes: [EntityRef: [String]]

        /// The facts of `specs`, with its changes from `previous` (nil: the first snapshot).
        public init(_ specs: ConfigSpecs, previous: ConfigSpecs?, first: Bool, last: Bool) {
            entities = specs.allSpecs.count + specs.invalidSpecs.count
            var rules: [EntityRef: [(id: String, passPercentage: Double)]] = [:]
            var allocations: [EntityRef: [(group: String, share: Double)]] = [:]
            for spec in specs.allSpecs {
                let ref = EntityRef(kind: spec.kind, name: spec.name)
                switch spec.kind {
                case .gate where rules[ref] == nil: rules[ref] = spec.rules.map { ($0.id, $0.passPercentage) }
                case .experiment where allocations[ref] == nil: allocations[ref] = spec.groupAllocation
                default: break
                }
            }
            gateRules = rules
            self.allocations = allocations
            sizes = first || last ? ReportModel.entitySizes(specs) : nil
            targetApps = last ? ReportModel.targetAppSizes(specs) : nil
            entitiesWithPrevious = []
            changes = [:]
            guard let previous else { return }
            func byRef(_ s: ConfigSpecs) -> [EntityRef: Spec] {
                Dictionary(s.allSpecs.map { (EntityRef(kind: $0.kind, name: $0.name), $0) }, uniquingKeysWith: { a, _ in a })
            }
            let before = byRef(previous), after = byRef(specs)
            entitiesWithPrevious = Set(before.keys).union(after.keys).sorted()
            for ref in entitiesWithPrevious where before[ref] != after[ref] {
                changes[ref] = SpecDiff.changes(from: before[ref], to: after[ref])
            }
        }
    }

    /// Every snapshot's facts: as given, or computed from its specs and those of the snapshot before (a snapshot
    /// given with neither counts as one without specs).
    func specFacts() -> [SpecFacts] {
        snapshots.indices.map { i in
            if let f = snapshots[i].facts { return f }
            let first = i == 0, last = i == snapshots.count - 1
            guard let specs = snapshots[i].specs else { return SpecFacts(first: first, last: last) }
            return SpecFacts(specs, previous: first ? nil : snapshots[i - 1].specs, first: first, last: last)
        }
    }
}

extension ReportInput.SpecFacts {
    /// The facts of a snapshot without specs.
    init(first: Bool, last: Bool) {
        entities = 0
        gateRules = [:]
        allocations = [:]
        sizes = first || last ? [:] : nil
        targetApps = last ? [] : nil
        entitiesWithPrevious = []
        changes = [:]
    }
}
