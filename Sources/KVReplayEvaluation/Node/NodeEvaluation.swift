import KVReplayModel

/// The node flavour behind `UserSession`: one `NodeWalk` per evaluation, its result turned into the shared
/// `Evaluation` record as statsig-node's public API reports it (`oracle_node.js`'s normalisation).
extension UserSession {
    private func nodeWalk() -> NodeWalk {
        let evaluator = walk.evaluator
        guard let user = walk.user.node else { preconditionFailure("a node evaluation needs a user prepared by a node evaluator (Evaluator.prepare)") }
        let program = evaluator.payload.nodeProgram
        let environment = evaluator.nodeEnvironment ?? user.ownEnvironment
        if let w = walk.ctx.nodeWalk {
            w.rebind(program: program, user: user, environment: environment, now: evaluator.options.now, idLists: evaluator.options.idLists,
                     profile: evaluator.options.edge, trace: walk.ctx.trace)
            return w
        }
        let w = NodeWalk(program: program, user: user, environment: environment, now: evaluator.options.now, idLists: evaluator.options.idLists,
                         profile: evaluator.options.edge, trace: walk.ctx.trace)
        walk.ctx.nodeWalk = w
        return w
    }

    func nodeEvaluate(_ ref: EntityRef) -> Evaluation {
        walk.ctx.reset()
        guard let user = walk.user.node else { preconditionFailure("a node evaluation needs a user prepared by a node evaluator (Evaluator.prepare)") }
        // `StatsigServer._validateInputs`: the public API throws for a user without a userID or customIDs.
        guard user.identifiable else { return FlavorPolicy.legacyRejectedUser(ref) }
        let w = nodeWalk()
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

    func nodeCheckGate(_ name: String) -> Bool {
        guard let user = walk.user.node, user.identifiable else { return false }
        let w = nodeWalk()
        w.collectsExposures = false
        return (try? w.checkGate(name).value) ?? false
    }
}
