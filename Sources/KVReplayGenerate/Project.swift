import KVReplayModel

/// What application code references at a point in time, with how often it does: the entities sessions check.
struct TrafficCatalog: Sendable {
    struct Entry: Sendable {
        var kind: EntityKind
        var name: String
        var weight: Double
        /// Layers: the parameters code reads.
        var params: [String] = []
    }
    var gates: [Entry] = []
    var configs: [Entry] = []
    var experiments: [Entry] = []
    var layers: [Entry] = []
}

/// The Statsig project whose history is generated: every spec, its lifecycle plan, and the edits that change it.
/// Decisions are drawn from one sequential generator, so the history depends on the seed and options only.
struct Project {
    /// `sdk_configs.sampling_mode` of every version (statsig-node logs it in each exposure's `statsigMetadata`).
    static let samplingMode = "on"

    let options: GenerateOptions
    var rng: SplitMix64
    var specs: [String: SpecModel] = [:]
    var gateOrder: [String] = []
    var configOrder: [String] = []
    var layerOrder: [String] = []
    var layerMembers: [String: [String]] = [:]
    let companyID: String
    let appID = "web_edge"
    /// ID lists the payload names (`id_lists`); `exportedIDLists` have their contents written.
    let idListNames = ["beta_testers", "enterprise_accounts", "fraud_ring", "trial_abusers"]
    let exportedIDLists = ["beta_testers", "enterprise_accounts", "trial_abusers"]
    /// Entities whose result depends on an ID list whose contents are not exported (audit: `unevaluable`).
    let unevaluableEntities: Set<String> = ["block_fraud_ring"]
    var weights: [String: Double] = [:]
    /// Entities removed from the payload, with the time: code keeps referencing them for a few days.
    var removed: [(kind: EntityKind, name: String, time: Int64)] = []
    var plans: [PlannedAction] = []
    var nextPlan = 0
    var growth: [GrowthList] = []
    var lastGrowthDay: Int64
    var experimentsState: [ExperimentPlan] = []
    var layerPools: [String: [Int]] = [:]
    var layerParams: [String: JSONObject] = [:]
    var editables: [String] = []
    var holdoutRule: [String: String] = [:]

    struct PlannedAction: Sendable {
        var due: Int64
        var seq: Int
        var action: Action
    }

    enum Action: Sendable {
        case createGate(String, stage: Double, withHoldout: Bool, idType: String)
        case rampGate(String, to: Double)
        case retireGate(String)
        case createExperiment(Int)
        case startExperiment(Int)
        case reallocate(Int)
        case conclude(Int)
        case archive(Int)
    }

    struct GrowthList: Sendable {
        var spec: String
        var rule: Int
        var condition: Int
        var ids: [JSONValue]
        var kind: GrowthKind
        /// Bytes of one appended ID in the payload, roughly.
        var bytesPerID: Int
    }

    enum GrowthKind: Sendable { case stableIDs, userIDs, companyIDs }

    struct ExperimentPlan: Sendable {
        var name: String
        var layer: String?
        var idType: String
        var groups: [(name: String, ruleID: String, value: JSONValue)]
        var explicit: [String]
        var salt: String
        var allocationSalt: String
        var buckets: [Int] = []
        var targeting: String?
        var holdout: String?
        var ship: Bool
        var state = "none"
        var overrideUsers: [String] = []
    }

    init(options: GenerateOptions, population: Population) {
        self.options = options
        rng = SplitMix64(options.seed, 0x9E0)
        companyID = rng.base62ID()
        lastGrowthDay = -1
        buildBase(population: population)
        buildGates()
        buildConfigs()
        buildExperiments()
        plans.sort { ($0.due, $0.seq) < ($1.due, $1.seq) }
    }

    // MARK: - helpers

    mutating func rid() -> String { rng.base62ID() }
    mutating func salt() -> String { rng.uuid() }

    mutating func add(_ s: SpecModel, weight: Double = 0) {
        var s = s
        s.targetAppIDs = s.targetAppIDs ?? (rng.chance(0.8) ? [appID] : [appID, "ios_app"])
        specs[s.name] = s
        switch s.collection {
        case .featureGates: gateOrder.append(s.name)
        case .dynamicConfigs: configOrder.append(s.name)
        case .layerConfigs: layerOrder.append(s.name)
        }
        if weight > 0 { weights[s.name] = weight }
    }

    mutating func gate(_ name: String, _ rules: [RuleModel], entity: String = "feature_gate", idType: String = "userID",
                       weight: Double = 1) {
        add(SpecModel(name: name, entity: entity, salt: salt(), defaultValue: false, rules: rules, idType: idType,
                      version: Int64(rng.int(1...12))), weight: entity == "feature_gate" ? weight : 0)
    }

    mutating func simple(_ name: String, _ conditions: [JSONValue], idType: String = "userID", weight: Double = 1) {
        gate(name, [RuleModel(id: rid(), salt: nil, conditions: conditions, returns: true, idType: idType)], idType: idType, weight: weight)
        editables.append(name)
    }

    mutating func rolloutRule(_ base: String, _ pct: Double, version: Int64, conditions: [JSONValue]? = nil, idType: String = "userID") -> RuleModel {
        RuleModel(id: "\(base):\(pctLabel(pct)):\(version)", salt: base, pass: pct, conditions: conditions ?? [Cond.pub(idType)],
                  returns: true, idType: idType)
    }

    func pctLabel(_ p: Double) -> String {
        let hundredths = Int((p * 100).rounded())
        let frac = hundredths % 100
        return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)"
    }

    func at(day: Double) -> Int64 { options.start + Int64(day * Double(UTCTime.dayMs)) }

    mutating func plan(_ due: Int64, _ a: Action) {
        plans.append(PlannedAction(due: due, seq: plans.count, action: a))
    }

    // MARK: - holdouts, segments, ID lists

    mutating func buildBase(population: Population) {
        for (name, pct) in [("global_holdout", 2.0), ("layer_holdout", 5.0)] {
            let base = rid()
            let rules = [
                RuleModel(id: "pass:all:id_override", salt: "", conditions: [Cond.user("userID", "any", Cond.strings(["holdout-qa-pass"]))], returns: true),
                RuleModel(id: "fail:all:id_override", salt: "", pass: 0, conditions: [Cond.user("userID", "any", Cond.strings(["holdout-qa-fail"]))], returns: true),
                rolloutRule(base, pct, version: Int64(rng.int(2...8))),
            ]
            gate(name, rules, entity: "holdout")
            holdoutRule[name] = rid()
        }
        let seg = { (p: inout Project, name: String, rules: [RuleModel], idType: String) in
            p.gate(name, rules, entity: "segment", idType: idType)
        }
        seg(&self, "segment:internal_employees", [RuleModel(id: rid(), salt: nil, conditions: [Cond.user("email", "str_ends_with_any", Cond.strings(["@acme.com", "@acme.io"]))], returns: true)], "userID")
        for (name, list, idType) in [("segment:beta_testers", "beta_testers", "userID"), ("segment:enterprise_accounts", "enterprise_accounts", "companyID"),
                                     ("segment:fraud_ring", "fraud_ring", "userID")] {
            seg(&self, name, [RuleModel(id: "id_list", salt: "", conditions: [Cond.unit("in_segment_list", .string(list), idType: idType)], returns: true, idType: idType)], idType)
        }
        seg(&self, "segment:eu_countries", [RuleModel(id: rid(), salt: nil, conditions: [Cond.ip("any", Cond.strings(["AT", "BE", "DE", "DK", "ES", "FI", "FR", "GR", "IE", "IT", "NL", "PL", "PT", "SE"]))], returns: true)], "userID")
        seg(&self, "segment:power_users", [RuleModel(id: rid(), salt: nil, conditions: [Cond.user("sessions_30d", "gte", 40)], returns: true),
                                           RuleModel(id: rid(), salt: nil, conditions: [Cond.user("ltv", "gt", 500)], returns: true)], "userID")
        seg(&self, "segment:apple_mobile", [RuleModel(id: rid(), salt: nil, conditions: [Cond.ua("os_name", "any", Cond.strings(["iOS", "iPadOS"]))], returns: true)], "userID")
        // Segments held inline: the lists that make payloads grow.
        let qaDevices = Population.qaStableIDs.prefix(2).map { JSONValue.string($0) }
        seg(&self, "segment:blocked_devices", [RuleModel(id: rid(), salt: nil, conditions: [Cond.unit("any", .array(qaDevices), idType: "stableID")], returns: true, idType: "stableID")], "stableID")
        growth.append(GrowthList(spec: "segment:blocked_devices", rule: 0, condition: 0, ids: qaDevices, kind: .stableIDs, bytesPerID: 39))
        let vips = [JSONValue.string(Population.overrideUserIDs[0])]
        seg(&self, "segment:vip_allowlist", [RuleModel(id: rid(), salt: nil, conditions: [Cond.unit("any", .array(vips), idType: "userID")], returns: true)], "userID")
        growth.append(GrowthList(spec: "segment:vip_allowlist", rule: 0, condition: 0, ids: vips, kind: .userIDs, bytesPerID: 11))
    }

    // MARK: - gates

    mutating func buildGates() {
        // Gates every project of this kind has, whatever --gates says.
        var specials: [() -> Void] = []
        _ = specials
        specials = []
        gate("image_cdn_v2", [{ var r = rolloutRule(rid(), 100, version: 6); r.samplingRate = 10; return r }()], weight: 6)
        gate("checkout_redesign", [RuleModel(id: rid(), salt: nil, conditions: [Cond.passGate("segment:internal_employees")], returns: true),
                                   rolloutRule(rid(), 20, version: 3, conditions: [Cond.ip("any", Cond.strings(["US", "CA"]))]),
                                   rolloutRule(rid(), 5, version: 2, conditions: [Cond.passGate("segment:eu_countries")])], weight: 3)
        editables.append("checkout_redesign")
        simple("premium_checkout", [Cond.passGate("checkout_redesign"), Cond.failGate("segment:blocked_devices")], weight: 2)
        simple("beta_features", [Cond.passGate("segment:beta_testers")], weight: 1.5)
        gate("enterprise_sso", [RuleModel(id: rid(), salt: nil, conditions: [Cond.passGate("segment:enterprise_accounts")], returns: true, idType: "companyID")], idType: "companyID", weight: 1)
        simple("vip_early_access", [Cond.passGate("segment:vip_allowlist")], weight: 1)
        gate("block_suspicious_devices", [RuleModel(id: rid(), salt: nil, conditions: [Cond.passGate("segment:blocked_devices")], returns: true, idType: "stableID")], idType: "stableID", weight: 2)
        simple("block_fraud_ring", [Cond.passGate("segment:fraud_ring")], weight: 0.5)
        simple("allow_free_trial", [Cond.unit("not_in_segment_list", "trial_abusers", idType: "userID"), Cond.user("plan", "any", Cond.strings(["free"]))], weight: 1)
        let launch = options.start + Int64(Double(options.days) * 0.6 * Double(UTCTime.dayMs)) + 17 * UTCTime.hourMs
        simple("spring_sale_banner", [Cond.make("current_time", "after", .int(launch))], weight: 2)
        simple("edge_app_features", [Cond.make("target_app", "any", Cond.strings([appID]))], weight: 1)
        // Company-wide allowlist with an inline list that grows.
        gate("enterprise_early_access", [RuleModel(id: rid(), salt: nil, conditions: [Cond.unit("any", Cond.strings(["company_7"]), idType: "companyID")], returns: true, idType: "companyID")],
             idType: "companyID", weight: 0.7)
        growth.append(GrowthList(spec: "enterprise_early_access", rule: 0, condition: 0, ids: [.string("company_7")], kind: .companyIDs, bytesPerID: 16))

        let special = 12
        let remaining = max(0, options.gates - special)
        let templates = min(remaining / 2, Self.templateCount)
        for i in 0..<templates { addTemplate(i) }
        let rollouts = remaining - templates
        let areas = ["checkout", "search", "onboarding", "profile", "billing", "notifications", "feed", "settings", "cart",
                     "payments", "referrals", "support", "inbox", "reviews", "wishlist", "maps"]
        let features = ["redesign", "v2", "fast_path", "new_copy", "smart_sort", "inline_edit", "offline_mode", "bulk_actions",
                        "quick_reply", "infinite_scroll", "autosave", "rich_preview", "one_tap", "cache_v3"]
        var used = Set(specs.keys)
        for i in 0..<rollouts {
            var name = "\(areas[i % areas.count])_\(features[(i / areas.count + i * 5) % features.count])"
            var n = 2
            while used.contains(name) { name = "\(areas[i % areas.count])_\(features[(i / areas.count + i * 5) % features.count])_\(n)"; n += 1 }
            used.insert(name)
            let idType = i % 7 == 3 ? "stableID" : "userID"
            let withHoldout = i % 2 == 0
            // Roughly 40% are created during the history; the rest exist at its start at some stage.
            let created: Double
            if i % 5 < 2 {
                created = Double(options.days) * Double(i % 97) / 97.0 * 0.9
            } else {
                created = -Double(2 + (i * 7) % 30)
            }
            let createAt = at(day: created) + Int64(rng.int(8...17)) * UTCTime.hourMs
            plan(createAt, .createGate(name, stage: 1, withHoldout: withHoldout, idType: idType))
            weights[name] = rng.pick([0.5, 1, 1, 2, 3])
            let stalls = i % 4 == 3
            let steps: [(Double, Double)] = [(5, 1), (25, 2), (50, 4), (100, 7)]
            for (pct, d) in steps {
                if stalls && pct == 100 { break }
                plan(createAt + Int64(d * Double(UTCTime.dayMs)) + Int64(rng.int(0..<4)) * UTCTime.hourMs, .rampGate(name, to: pct))
            }
            if !stalls {
                plan(createAt + Int64((7 + 9 + Double(rng.int(0...6))) * Double(UTCTime.dayMs)), .retireGate(name))
            }
        }
    }

    static let templateCount = 22

    mutating func addTemplate(_ i: Int) {
        let S = { (p: inout Project, name: String, c: [JSONValue]) in p.simple(name, c, weight: p.rng.pick([0.5, 1, 1.5, 2])) }
        switch i {
        case 0: S(&self, "english_locale", [Cond.user("locale", "str_starts_with_any", Cond.strings(["en_", "en-"]))])
        case 1: S(&self, "ios_home_widget", [Cond.passGate("segment:apple_mobile"), Cond.ua("os_version", "version_gte", "16.0")])
        case 2: S(&self, "android_material_you", [Cond.ua("os_name", "any", Cond.strings(["Android"])), Cond.ua("os_version", "version_gte", "12")])
        case 3: S(&self, "app_v3_features", [Cond.user("appVersion", "version_gte", "3.2.0"), Cond.user("appVersion", "version_lt", "4.0.0")])
        case 4: S(&self, "force_update_prompt", [Cond.user("appVersion", "version_lt", "2.5.0")])
        case 5: S(&self, "us_ca_declared", [Cond.user("country", "any", Cond.strings(["US", "CA"]))])
        case 6: S(&self, "latam_launch", [Cond.ip("any", Cond.strings(["BR", "MX", "AR", "CO"]))])
        case 7: S(&self, "prod_only_feature", [Cond.env("any", Cond.strings(["production"]))])
        case 8: S(&self, "education_emails", [Cond.user("email", "str_ends_with_any", Cond.strings([".edu", ".ac.uk"]))])
        case 9: S(&self, "paid_plan", [Cond.user("plan", "any", Cond.strings(["pro", "team", "enterprise"]))])
        case 10: S(&self, "adults_only", [Cond.user("age", "gte", 18)])
        case 11: S(&self, "vip_or_early", [Cond.user("tags", "array_contains_any", Cond.strings(["early_adopter", "vip"]))])
        case 12: S(&self, "loyal_users", [Cond.user("sessions_30d", "gt", 20), Cond.passGate("segment:power_users")])
        case 13: S(&self, "low_churn", [Cond.user("churn_risk", "neq", "high")])
        case 14: S(&self, "webgpu_canvas", [Cond.ua("browser_name", "any", Cond.strings(["Chrome", "Chrome Mobile", "Edge"])), Cond.ua("browser_version", "version_gte", "113")])
        case 15: S(&self, "mac_desktop_promo", [Cond.ua("os_name", "any", Cond.strings(["Mac OS X"]))])
        case 16: S(&self, "sanctions_allowed", [Cond.ip("none", Cond.strings(["RU", "KP", "IR"]))])
        case 17: S(&self, "real_emails_only", [Cond.user("email", "str_contains_none", Cond.strings(["+test", "@example."])), Cond.user("email", "str_contains_any", Cond.strings(["@"]))])
        case 18: S(&self, "cohort_2025", [Cond.user("cohort", "str_contains_any", Cond.strings(["2025"]))])
        case 19:
            gate("many_rules_gate", [RuleModel(id: rid(), salt: nil, conditions: [Cond.user("userID", "any", Cond.strings(Array(Population.overrideUserIDs[3..<6])))], returns: true),
                                     RuleModel(id: rid(), salt: nil, pass: 0, conditions: [Cond.passGate("segment:internal_employees")], returns: true),
                                     rolloutRule(rid(), 60, version: 2, conditions: [Cond.ip("any", Cond.strings(["JP", "KR"]))]),
                                     rolloutRule(rid(), 30, version: 4, conditions: [Cond.ua("os_name", "any", Cond.strings(["iOS"])), Cond.user("locale", "str_starts_with_any", Cond.strings(["en"]))]),
                                     rolloutRule(rid(), 10, version: 1)], weight: 1)
            editables.append("many_rules_gate")
        case 20:
            let bsalt = salt()
            gate("bucketed_rollout", [RuleModel(id: rid(), salt: nil, conditions: [Cond.bucket("lt", 250, salt: bsalt, idType: "stableID")], returns: true, idType: "stableID"),
                                      RuleModel(id: rid(), salt: nil, conditions: [Cond.bucket("gte", 990, salt: bsalt, idType: "userID")], returns: true)], idType: "stableID", weight: 1)
            editables.append("bucketed_rollout")
        default: S(&self, "desktop_only", [Cond.ua("os_name", "any", Cond.strings(["Windows", "Mac OS X", "Linux", "Ubuntu"]))])
        }
    }

    // MARK: - dynamic configs

    mutating func buildConfigs() {
        let configs: [(String, JSONValue, [(JSONValue, JSONValue)])] = [
            ("app_config", ["api_base": "https://api.acme.com", "debug": false, "retry": ["max": 3, "backoff_ms": 200]],
             [(Cond.passGate("segment:internal_employees"), ["api_base": "https://api-staging.acme.com", "debug": true, "retry": ["max": 5, "backoff_ms": 100]]),
              (Cond.ip("any", Cond.strings(["JP", "KR"])), ["api_base": "https://api-ap.acme.com", "debug": false, "retry": ["max": 3, "backoff_ms": 250]])]),
            ("pricing_config", ["currency": "USD", "monthly": 10.0, "annual": 100],
             [(Cond.passGate("segment:eu_countries"), ["currency": "EUR", "monthly": 9.99, "annual": 99]),
              (Cond.ip("eq", "GB"), ["currency": "GBP", "monthly": 8.49, "annual": 84])]),
            ("feature_limits", ["projects": 3, "seats": 1],
             [(Cond.user("plan", "any", Cond.strings(["enterprise"])), ["projects": -1, "seats": 500]),
              (Cond.user("plan", "any", Cond.strings(["pro", "team"])), ["projects": 50, "seats": 10])]),
            ("remote_strings", ["cta": "Get started", "lang": "en"],
             [(Cond.user("locale", "str_starts_with_any", Cond.strings(["de"])), ["cta": "Jetzt starten", "lang": "de"]),
              (Cond.user("locale", "str_starts_with_any", Cond.strings(["fr"])), ["cta": "Commencer", "lang": "fr"])]),
        ]
        for (name, dflt, rules) in configs {
            let s = SpecModel(name: name, entity: "dynamic_config", salt: salt(), defaultValue: dflt,
                              rules: rules.map { RuleModel(id: rid(), salt: nil, conditions: [$0.0], returns: $0.1) }, idType: "userID",
                              version: Int64(rng.int(1...20)))
            add(s, weight: rng.pick([1, 2]))
            editables.append(name)
        }
    }

    // MARK: - experiments and layers

    static let layerThemes: [(String, String, JSONValue, [(String, [JSONValue])])] = [
        ("onboarding_layer", "userID", ["welcome_copy": "Welcome!", "steps": 3, "show_video": false, "accent": "#3366ff"],
         [("welcome_copy", ["Let's build something great", "Hi there!", "Welcome back"]), ("steps", [2, 4, 5]), ("show_video", [true]), ("accent", ["#22aa55", "#ff6633"])]),
        ("checkout_layer", "userID", ["button_color": "blue", "one_page": false, "upsell_slots": 1, "button_text": "Buy now"],
         [("button_color", ["green", "orange", "purple"]), ("one_page", [true]), ("upsell_slots", [0, 2, 3]), ("button_text", ["Checkout", "Pay now"])]),
        ("search_layer", "stableID", ["ranker": "bm25", "autocomplete": true, "max_suggestions": 5, "boost": 1.0],
         [("ranker", ["neural_v2", "hybrid"]), ("autocomplete", [false]), ("max_suggestions", [8, 10]), ("boost", [1.25, 1.5])]),
        ("pricing_layer", "companyID", ["show_annual_first": false, "trial_days": 14, "badge": nil],
         [("show_annual_first", [true]), ("trial_days", [30, 7]), ("badge", ["save 20%", "popular"])]),
    ]

    mutating func buildExperiments() {
        var layerNames: [String] = []
        for l in 0..<options.layers {
            let theme = Self.layerThemes[l % Self.layerThemes.count]
            let name = l < Self.layerThemes.count ? theme.0 : "\(theme.0)_\(l / Self.layerThemes.count + 1)"
            layerNames.append(name)
            var pool = Array(0..<1000)
            rng.shuffle(&pool)
            layerPools[name] = pool
            layerParams[name] = theme.2.objectValue!
            var s = SpecModel(name: name, entity: "layer", salt: salt(), defaultValue: theme.2, rules: [], idType: theme.1, version: Int64(rng.int(1...9)))
            if l == 0 { s.rules = [RuleModel(id: holdoutRule["layer_holdout"]!, salt: "", conditions: [Cond.passGate("layer_holdout")], returns: theme.2, idType: theme.1)] }
            add(s, weight: rng.pick([2, 3]))
            layerMembers[name] = []
        }
        let topics = ["dark_mode", "notification_timing", "ai_assistant", "email_digest", "recommendation_algo", "referral_bonus",
                      "mobile_nav", "signup_flow", "homepage_hero", "cart_reminder", "price_anchor", "feed_ranking"]
        for i in 0..<options.experiments {
            let layer: String? = (!layerNames.isEmpty && i % 3 != 2) ? layerNames[i % layerNames.count] : nil
            let theme = layer.map { l in Self.layerThemes[layerNames.firstIndex(of: l)! % Self.layerThemes.count] }
            let base = layer.map { "\($0.replacingOccurrences(of: "_layer", with: ""))_\(topics[i % topics.count])" } ?? topics[i % topics.count]
            let name = i < topics.count ? "\(base)_exp" : "\(base)_exp_\(i / topics.count + 1)"
            let idType = theme?.1 ?? "userID"
            let groupCount = i % 4 == 1 ? 3 : 2
            let defaults: JSONObject
            var explicit: [String] = []
            var groups: [(String, String, JSONValue)] = []
            let labels = ["Control", "Test", "Test B"]
            if let theme, let layer {
                defaults = layerParams[layer]!
                let candidates = theme.3
                let k = 1 + i % 2
                let start = (i / max(1, layerNames.count)) % candidates.count
                let chosen = (0..<k).map { candidates[(start + $0) % candidates.count] }
                explicit = chosen.map(\.0)
                for g in 0..<groupCount {
                    var v = defaults
                    if g > 0 { for (p, values) in chosen { v[p] = values[(g - 1 + i) % values.count] } }
                    groups.append((labels[g], rid(), .object(v)))
                }
            } else {
                var d = JSONObject()
                d["variant"] = "control"
                d["intensity"] = 1
                defaults = d
                for g in 0..<groupCount {
                    var v = d
                    if g > 0 { v["variant"] = .string(labels[g].lowercased().replacingOccurrences(of: " ", with: "_")); v["intensity"] = .int(Int64(1 + g)) }
                    groups.append((labels[g], rid(), .object(v)))
                }
            }
            var p = ExperimentPlan(name: name, layer: layer, idType: idType, groups: groups.map { (name: $0.0, ruleID: $0.1, value: $0.2) },
                                   explicit: explicit, salt: salt(), allocationSalt: salt(), targeting: nil, holdout: nil, ship: i % 3 != 1)
            if i % 4 == 2 && idType == "userID", let t = ["english_locale", "paid_plan", "us_ca_declared"].first(where: { specs[$0] != nil }) { p.targeting = t }
            if i % 2 == 0 && idType == "userID" { p.holdout = "global_holdout" }
            if i == 0 { p.overrideUsers = [Population.overrideUserIDs[1], Population.overrideUserIDs[2]] }
            experimentsState.append(p)
            weights[name] = rng.pick([1, 1.5, 2])
            // Lifecycle: created, started a day later, reallocated, concluded, archived.
            let created = -12 + Double(options.days + 12) * Double(i) / Double(max(1, options.experiments))
            let c = at(day: created) + Int64(rng.int(9...16)) * UTCTime.hourMs
            plan(c, .createExperiment(i))
            plan(c + UTCTime.dayMs + Int64(rng.int(0..<5)) * UTCTime.hourMs, .startExperiment(i))
            plan(c + 5 * UTCTime.dayMs + Int64(rng.int(0..<5)) * UTCTime.hourMs, .reallocate(i))
            plan(c + Int64(15 + rng.int(0...5)) * UTCTime.dayMs, .conclude(i))
            plan(c + Int64(24 + rng.int(0...5)) * UTCTime.dayMs, .archive(i))
        }
    }

    mutating func experimentSpec(_ i: Int) {
        let p = experimentsState[i]
        let dflt: JSONValue = p.layer.map { .object(layerParams[$0]!) } ?? p.groups[0].value
        var rules: [RuleModel] = []
        switch p.state {
        case "prestart":
            rules = [RuleModel(id: "prestart", salt: "", conditions: [Cond.pub(p.idType)], returns: dflt, idType: p.idType)]
        case "active":
            if !p.overrideUsers.isEmpty {
                var r = RuleModel(id: "\(p.groups[1].ruleID):userID:id_override", salt: "", conditions: [Cond.user("userID", "any", Cond.strings(p.overrideUsers))], returns: p.groups[1].value, idType: p.idType)
                r.groupName = p.groups[1].name
                rules.append(r)
            }
            if let h = p.holdout {
                rules.append(RuleModel(id: holdoutRule[h]!, salt: "", conditions: [Cond.passGate(h)], returns: dflt, idType: p.idType))
            }
            if p.layer != nil {
                rules.append(RuleModel(id: "layerAssignment", salt: "", conditions: [Cond.bucket("none", Cond.ints(p.buckets), salt: specs[p.layer!]!.salt, idType: p.idType)], returns: dflt, idType: p.idType))
            } else if p.buckets.count < 1000 {
                rules.append(RuleModel(id: "layerAssignment", salt: "", conditions: [Cond.bucket("none", Cond.ints(p.buckets), salt: p.allocationSalt, idType: p.idType)], returns: dflt, idType: p.idType))
            } else {
                rules.append(RuleModel(id: "layerAssignment", salt: "", conditions: [Cond.bucket("any", Cond.ints([-1]), salt: p.allocationSalt, idType: p.idType)], returns: dflt, idType: p.idType))
            }
            if let t = p.targeting {
                rules.append(RuleModel(id: "targetingGate", salt: "", conditions: [Cond.failGate(t)], returns: dflt, idType: p.idType))
            }
            for (g, group) in p.groups.enumerated() {
                let upTo = (g + 1) * 1000 / p.groups.count
                var r = RuleModel(id: group.ruleID, salt: group.ruleID, conditions: [Cond.bucket("lt", .int(Int64(upTo)), salt: p.salt, idType: p.idType)], returns: group.value, idType: p.idType)
                r.groupName = group.name
                r.isExperimentGroup = true
                rules.append(r)
            }
        default:
            if p.ship {
                rules = [RuleModel(id: "launchedGroup", salt: "", conditions: [Cond.pub(p.idType)], returns: p.groups[p.groups.count - 1].value, idType: p.idType)]
            } else {
                rules = [RuleModel(id: "abandoned", salt: "", conditions: [Cond.pub(p.idType)], returns: dflt, idType: p.idType)]
            }
        }
        if var s = specs[p.name] {
            s.rules = rules
            s.defaultValue = dflt
            s.isActive = p.state == "active"
            s.touch()
            specs[p.name] = s
        } else {
            var s = SpecModel(name: p.name, entity: "experiment", salt: p.salt, defaultValue: dflt, rules: rules, idType: p.idType, version: 1)
            s.isActive = p.state == "active"
            s.hasSharedParams = p.layer != nil
            s.explicitParameters = p.layer != nil ? p.explicit : []
            add(s)
        }
    }

    mutating func layerSpec(_ layer: String) {
        guard var s = specs[layer] else { return }
        var rules = s.rules.filter { $0.configDelegate == nil }
        for name in layerMembers[layer] ?? [] {
            guard let p = experimentsState.first(where: { $0.name == name }), p.state == "active", !p.buckets.isEmpty else { continue }
            var r = RuleModel(id: "experimentAssignment", salt: "", conditions: [Cond.bucket("any", Cond.ints(p.buckets), salt: s.salt, idType: s.idType)], returns: s.defaultValue, idType: s.idType)
            r.configDelegate = name
            rules.append(r)
        }
        s.rules = rules
        s.defaultValue = .object(layerParams[layer]!)
        for i in rules.indices where rules[i].configDelegate == nil { s.rules[i].returnValue = s.defaultValue }
        s.touch()
        specs[layer] = s
    }

    // MARK: - applying actions

    /// Applies every planned action due by `time` and returns their descriptions.
    mutating func applyDue(_ time: Int64) -> [String] {
        var out: [String] = []
        while nextPlan < plans.count && plans[nextPlan].due <= time {
            if let d = apply(plans[nextPlan].action, time: time) { out.append(d) }
            nextPlan += 1
        }
        return out
    }

    mutating func apply(_ a: Action, time: Int64) -> String? {
        switch a {
        case .createGate(let name, let stage, let withHoldout, let idType):
            var rules: [RuleModel] = []
            if withHoldout {
                rules.append(RuleModel(id: holdoutRule["global_holdout"]!, salt: "", pass: 0, conditions: [Cond.passGate("global_holdout")], returns: true))
            }
            rules.append(RuleModel(id: rid(), salt: nil, conditions: [Cond.passGate("segment:internal_employees")], returns: true))
            rules.append(rolloutRule(rid(), stage, version: 1, idType: idType))
            gate(name, rules, idType: idType, weight: weights[name] ?? 1)
            specs[name]!.version = 1
            return "create gate \(name) at \(pctLabel(stage))%"
        case .rampGate(let name, let pct):
            guard var s = specs[name], let i = s.rules.lastIndex(where: { $0.id.contains(":") && $0.salt != "" }) else { return nil }
            let old = s.rules[i].passPercentage
            let base = s.rules[i].salt ?? s.rules[i].id
            s.touch()
            s.rules[i] = rolloutRule(base, pct, version: s.version, idType: s.rules[i].idType)
            specs[name] = s
            return "ramp gate \(name) \(pctLabel(old))% -> \(pctLabel(pct))%"
        case .retireGate(let name):
            guard specs[name] != nil else { return nil }
            specs[name] = nil
            gateOrder.removeAll { $0 == name }
            removed.append((.gate, name, time))
            return "retire gate \(name)"
        case .createExperiment(let i):
            experimentsState[i].state = "prestart"
            experimentSpec(i)
            if let l = experimentsState[i].layer { layerMembers[l]!.append(experimentsState[i].name) }
            return "create experiment \(experimentsState[i].name)"
        case .startExperiment(let i):
            experimentsState[i].state = "active"
            allocate(i, share: experimentsState[i].layer == nil ? 0.5 : 0.2)
            experimentSpec(i)
            if let l = experimentsState[i].layer { layerSpec(l) }
            return "start experiment \(experimentsState[i].name) (\(experimentsState[i].buckets.count / 10)% allocated)"
        case .reallocate(let i):
            guard experimentsState[i].state == "active" else { return nil }
            allocate(i, share: experimentsState[i].layer == nil ? 1.0 : 0.4)
            experimentSpec(i)
            if let l = experimentsState[i].layer { layerSpec(l) }
            return "reallocate experiment \(experimentsState[i].name) to \(experimentsState[i].buckets.count / 10)%"
        case .conclude(let i):
            guard experimentsState[i].state == "active" else { return nil }
            let p = experimentsState[i]
            experimentsState[i].state = "concluded"
            if let l = p.layer {
                layerPools[l]!.append(contentsOf: p.buckets)
                experimentsState[i].buckets = []
                if p.ship, let winner = p.groups.last?.value.objectValue {
                    for k in p.explicit { layerParams[l]![k] = winner[k] }
                }
                experimentSpec(i)
                layerSpec(l)
                if p.ship {
                    // The layer's other experiments carry the layer defaults in their values.
                    for j in experimentsState.indices where j != i && experimentsState[j].layer == l && experimentsState[j].state != "none" && specs[experimentsState[j].name] != nil {
                        for g in experimentsState[j].groups.indices {
                            var v = layerParams[l]!
                            for k in experimentsState[j].explicit { v[k] = experimentsState[j].groups[g].value[k] }
                            experimentsState[j].groups[g].value = .object(v)
                        }
                        experimentSpec(j)
                    }
                }
            } else {
                experimentSpec(i)
            }
            return "conclude experiment \(p.name) (\(p.ship ? "ship \(p.groups.last!.name)" : "abandon"))"
        case .archive(let i):
            let name = experimentsState[i].name
            guard specs[name] != nil, experimentsState[i].state == "concluded" else { return nil }
            specs[name] = nil
            configOrder.removeAll { $0 == name }
            if let l = experimentsState[i].layer { layerMembers[l]!.removeAll { $0 == name } }
            experimentsState[i].state = "archived"
            removed.append((.experiment, name, time))
            return "archive experiment \(name)"
        }
    }

    mutating func allocate(_ i: Int, share: Double) {
        let want = Int(share * 1000)
        var p = experimentsState[i]
        if let l = p.layer {
            var pool = layerPools[l]!
            let take = min(max(0, want - p.buckets.count), pool.count)
            p.buckets += pool.prefix(take)
            pool.removeFirst(take)
            layerPools[l] = pool
        } else {
            p.buckets = Array(0..<want)
        }
        p.buckets.sort()
        experimentsState[i] = p
    }

    /// A random console edit: a rule reordered, a target list edited, a config value changed.
    mutating func randomEdit() -> String? {
        let candidates = editables.filter { specs[$0] != nil }
        guard !candidates.isEmpty else { return nil }
        for _ in 0..<8 {
            if let d = randomEdit(of: rng.pick(candidates)) { return d }
        }
        return nil
    }

    mutating func randomEdit(of name: String) -> String? {
        var s = specs[name]!
        let roll = rng.unit()
        if s.rules.count >= 2 && roll < 0.35 {
            let a = rng.int(0..<s.rules.count)
            var b = rng.int(0..<s.rules.count)
            if a == b { b = (a + 1) % s.rules.count }
            s.rules.swapAt(a, b)
            s.touch()
            specs[name] = s
            return "reorder rules of \(name)"
        }
        if s.collection == .dynamicConfigs, let i = s.rules.indices.randomElementIndex(&rng), case .object(var v) = s.rules[i].returnValue {
            // Bump a numeric member or flip a boolean one.
            for k in v.keys {
                switch v[k]! {
                case .int(let n): v[k] = .int(n + Int64(rng.int(1...5)))
                case .bool(let b): v[k] = .bool(!b)
                default: continue
                }
                s.rules[i].returnValue = .object(v)
                s.touch()
                specs[name] = s
                return "edit \(name) rule \(i) value \(k)"
            }
        }
        // Edit the target list of the first list-valued condition.
        for ri in s.rules.indices {
            for ci in s.rules[ri].conditions.indices {
                guard case .object(var c) = s.rules[ri].conditions[ci], case .array(var t)? = c["targetValue"], !t.isEmpty,
                      t.allSatisfy({ $0.stringValue != nil }), t.count < 40 else { continue }
                let pool: [String]
                switch c["field"]?.stringValue {
                case "country": pool = ["US", "CA", "GB", "DE", "FR", "JP", "BR", "MX", "IN", "AU", "NL", "ES", "KR"]
                case "locale": pool = ["en_", "de_", "fr_", "es_", "ja_"]
                case "plan": pool = ["free", "pro", "team", "enterprise"]
                default: pool = []
                }
                if pool.isEmpty { continue }
                let v = JSONValue.string(rng.pick(pool))
                if let existing = t.firstIndex(of: v), t.count > 1 { t.remove(at: existing) } else if !t.contains(v) { t.append(v) } else { continue }
                c["targetValue"] = .array(t)
                s.rules[ri].conditions[ci] = .object(c)
                s.touch()
                specs[name] = s
                return "edit \(name) rule \(ri) targets"
            }
        }
        // Otherwise move a pass percentage.
        if let i = s.rules.firstIndex(where: { $0.passPercentage > 0 && $0.passPercentage < 100 }) {
            s.rules[i].passPercentage = min(100, s.rules[i].passPercentage + 5)
            s.touch()
            specs[name] = s
            return "edit \(name) rule \(i) pass percentage"
        }
        // Or add an override rule for QA accounts in front of the others.
        if s.collection == .featureGates && s.rules.count < 6 && s.idType == "userID" {
            var r = RuleModel(id: rid(), salt: nil, conditions: [Cond.user("userID", "any", Cond.strings([rng.pick(Population.overrideUserIDs)]))], returns: true)
            if s.entity != "feature_gate" { r.returnValue = true }
            s.rules.insert(r, at: 0)
            s.touch()
            specs[name] = s
            return "add QA override rule to \(name)"
        }
        return nil
    }

    /// Appends IDs to the inline lists, `days` days' worth.
    mutating func grow(days: Int64, currentSize: Int) -> String? {
        let budget = Int(days) * options.growthKiBPerDay * 1024
        guard budget > 0 else { return nil }
        let limit = 24 * 1024 * 1024
        var notes: [String] = []
        if currentSize + budget > limit {
            // The team cleans up when the payload nears the KV value limit: the oldest half of the biggest list goes.
            if let gi = growth.indices.max(by: { growth[$0].ids.count < growth[$1].ids.count }) {
                let n = growth[gi].ids.count / 2
                growth[gi].ids.removeFirst(n)
                setGrowthTarget(gi)
                notes.append("clean up \(growth[gi].spec): \(n) IDs removed")
            }
        }
        let shares = [0.6, 0.3, 0.1]
        for gi in growth.indices {
            let count = Int(Double(budget) * shares[gi % shares.count]) / growth[gi].bytesPerID
            guard count > 0 else { continue }
            var ids = growth[gi].ids
            ids.reserveCapacity(ids.count + count)
            for _ in 0..<count {
                switch growth[gi].kind {
                case .stableIDs: ids.append(.string(rng.uuid(uppercase: true)))
                case .userIDs: ids.append(.string("u_\(rng.int(100_000..<9_999_999))"))
                case .companyIDs: ids.append(.string("company_\(rng.int(61..<99_999))"))
                }
            }
            // A few real members of the population join too.
            if growth[gi].kind == .companyIDs && rng.chance(0.3) { ids.append(.string(rng.pick(Population.companies))) }
            growth[gi].ids = ids
            setGrowthTarget(gi)
            notes.append("\(growth[gi].spec) +\(count) IDs")
        }
        return notes.isEmpty ? nil : "grow inline lists: " + notes.joined(separator: ", ")
    }

    mutating func addPopulationIDs(_ population: Population) {
        // Called once: some real users are on the inline lists from the start.
        var r = SplitMix64(options.seed, 0x11D5)
        for gi in growth.indices {
            var ids = growth[gi].ids
            let n = max(1, population.users.count / 200)
            for _ in 0..<n {
                let u = population.users[r.int(0..<population.users.count)]
                switch growth[gi].kind {
                case .stableIDs: if let s = u.customIDs?["stableID"] { ids.append(s) }
                case .userIDs: if let s = u.userID { ids.append(s) }
                case .companyIDs: if let s = u.customIDs?["companyID"], !ids.contains(s) { ids.append(s) }
                }
            }
            growth[gi].ids = ids
            setGrowthTarget(gi)
        }
    }

    mutating func setGrowthTarget(_ gi: Int) {
        let g = growth[gi]
        guard var s = specs[g.spec], case .object(var c) = s.rules[g.rule].conditions[g.condition] else { return }
        c["targetValue"] = .array(g.ids)
        s.rules[g.rule].conditions[g.condition] = .object(c)
        s.touch()
        specs[g.spec] = s
    }

    // MARK: - payload

    /// The payload at this state: the JSON (for the evaluator) and the compact text KV holds.
    mutating func payload(lcut: Int64) -> (json: JSONValue, bytes: [UInt8]) {
        let writer = JSONWriter(style: .serde)
        var out = [UInt8]()
        var top = JSONObject()
        func field(_ key: String, _ v: JSONValue) {
            out.append(out.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
            JSONWriter.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            writer.write(v, into: &out)
            top[key] = v
        }
        field("has_updates", true)
        field("time", .int(lcut))
        field("company_id", .string(companyID))
        field("response_format", "dcs-v1")
        for (key, order) in [("feature_gates", gateOrder), ("dynamic_configs", configOrder), ("layer_configs", layerOrder)] {
            out.append(UInt8(ascii: ","))
            JSONWriter.writeString(key, into: &out)
            out.append(contentsOf: ":[".utf8)
            var arr: [JSONValue] = []
            arr.reserveCapacity(order.count)
            for (i, name) in order.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: specs[name]!.bytes())
                arr.append(specs[name]!.json())
            }
            out.append(UInt8(ascii: "]"))
            top[key] = .array(arr)
        }
        var layers = JSONObject()
        for l in layerOrder { layers[l] = Cond.strings(layerMembers[l] ?? []) }
        field("layers", .object(layers))
        var lists = JSONObject()
        for n in idListNames { lists[n] = true }
        field("id_lists", .object(lists))
        field("diagnostics", ["initialize": 10000, "dcs": 1000, "download_config_specs": 1000, "idlist": 100, "log": 100])
        field("sdk_configs", ["event_queue_size": 1000, "sampling_mode": .string(Project.samplingMode)])
        field("sdk_flags", .object(JSONObject()))
        field("app_id", .string(appID))
        field("default_environment", "production")
        out.append(UInt8(ascii: "}"))
        return (.object(top), out)
    }

    /// What code references at a state.
    func catalog(at time: Int64) -> TrafficCatalog {
        var c = TrafficCatalog()
        for name in gateOrder where specs[name]!.entity == "feature_gate" {
            c.gates.append(.init(kind: .gate, name: name, weight: weights[name] ?? 1))
        }
        for name in configOrder {
            let s = specs[name]!
            c.configs.append(.init(kind: s.entity == "experiment" ? .experiment : .config, name: name, weight: weights[name] ?? 1))
        }
        c.experiments = c.configs.filter { $0.kind == .experiment }
        c.configs = c.configs.filter { $0.kind == .config }
        for name in layerOrder {
            let params = specs[name]!.defaultValue.objectValue.map { Array($0.keys) } ?? []
            c.layers.append(.init(kind: .layer, name: name, weight: weights[name] ?? 1, params: params))
        }
        // Code still calls what was removed in the last three days.
        for r in removed where time - r.time < 3 * UTCTime.dayMs {
            let e = TrafficCatalog.Entry(kind: r.kind, name: r.name, weight: 0.5)
            if r.kind == .gate { c.gates.append(e) } else { c.experiments.append(e) }
        }
        return c
    }
}

extension Range where Bound == Int {
    func randomElementIndex(_ rng: inout SplitMix64) -> Int? { isEmpty ? nil : rng.int(self) }
}
