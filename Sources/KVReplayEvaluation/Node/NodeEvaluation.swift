import KVReplayModel

/// The node flavour behind `UserSession`: the context's `NodeWalk` for this evaluator, begun for each evaluation,
/// its result turned into the shared `Evaluation` record as statsig-node's public API reports it (`oracle_node.js`'s
/// normalisation).
extension UserSession {
    /// The context's walk for this session's evaluator (made when the context first evaluates with it), begun for this
    /// session's user.
    @inline(__always)
    private func nodeWalk(_ user: NodeUser, collectsExposures: Bool) -> NodeWalk {
        let evaluator = walk.evaluator
        let ctx = walk.ctx
        let w: NodeWalk
        if let kept = ctx.nodeWalk, kept.evaluator === evaluator {
            w = kept
        } else {
            w = NodeWalk(evaluator: evaluator, program: evaluator.payload.nodeProgram, user: user)
            ctx.nodeWalk = w
        }
        w.begin(user: user, trace: ctx.trace, collectsExposures: collectsExposures)
        return w
    }

    func nodeEvaluate(_ ref: EntityRef) -> Evaluation {
        walk.ctx.reset()
        guard let user = walk.user.node else { preconditionFailure("a node evaluation needs a user prepared by a node evaluator (Evaluator.prepare)") }
        // `StatsigServer._validateInputs`: the public API throws for a user without a userID or customIDs.
        guard user.identifiable else { return FlavorPolicy.legacyRejectedUser(ref) }
        let w = nodeWalk(user, collectsExposures: true)
        let r: NodeResult
        do {
            r = try w.evaluate(ref)
        } catch {
            walk.ctx.trace?.record(.error(error.reason, depth: 0))
            var e = FlavorPolicy.legacyMissing(ref, unsupported: false)
            e.reason = .error
            return e
        }
        let isLayer = ref.kind == .layer
        let value: JSONValue
        if ref.kind == .gate {
            value = .bool(r.value)
        } else {
            switch r.json {
            case .object, .array: value = r.json
            default: value = .object(JSONObject())
            }
        }
        let spec = w.program.spec(ref)
        return Evaluation(
            kind: ref.kind, name: ref.name, value: value, ruleID: r.ruleID, groupName: r.groupName, idType: r.idType ?? "",
            reason: r.unrecognized ? .unrecognized : r.unsupported ? .unsupported : .ok,
            secondaryExposures: r.secondary,
            allocatedExperiment: isLayer ? r.configDelegate : nil,
            undelegatedSecondaryExposures: isLayer ? (r.undelegated ?? r.secondary) : nil,
            explicitParameters: isLayer ? (r.explicitParameters ?? []) : nil,
            isExperimentGroup: r.isExperimentGroup, isExperimentActive: spec?.isActive == true,
            version: r.version, usedIDList: w.usedIDList, missingIDList: w.missingIDList)
    }

    /// `checkGate(user, name)`'s boolean (no exposures gathered: they never change it).
    func nodeCheckGate(_ name: String) -> Bool {
        guard let user = walk.user.node, user.identifiable else { return false }
        return (try? nodeWalk(user, collectsExposures: false).checkGate(name).value) ?? false
    }

    /// The boolean of the gate payload gate `index` names (`CompiledPayload.gates`).
    func nodeCheckGate(index: Int) -> Bool {
        guard let user = walk.user.node, user.identifiable else { return false }
        return (try? nodeWalk(user, collectsExposures: false).checkGate(payloadIndex: index).value) ?? false
    }
}
