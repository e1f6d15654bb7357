/// Generates `docs/manifest.md` from `ManifestSchema`, so the reference never drifts from the code.
///
/// Regenerate after changing the schema:
/// `SPIKELAB_WRITE_DOCS=1 swift test -c release -Xswiftc -enable-testing --filter ManifestDocumentationTests`
/// (a test compares the committed file with this text and fails when they differ).
public enum ManifestDocumentation {
    /// The Markdown reference of every manifest key, transform and rule.
    public static func markdown() -> String {
        var out: [String] = []
        out.append("""
        # Experiment manifests

        <!-- Generated from Sources/SpikeLab/Manifest/ManifestSchema.swift by ManifestDocumentation.markdown(); \
        do not edit. Regenerate: SPIKELAB_WRITE_DOCS=1 swift test -c release -Xswiftc -enable-testing --filter ManifestDocumentationTests -->

        A manifest is a YAML file describing one experiment (one row of a paper's table). SpikeLab reads it,
        applies inheritance, a profile and command-line overrides, checks every value, fills every default,
        and hands the runner a typed `Experiment`. The fully resolved manifest is written next to the results
        (`manifest.resolved.yaml`); loading that file again gives the same experiment.

        ```yaml
        name: demo-fashion-mnist-lif
        data: {loader: fashion_mnist, batch_size: 64, augment: [{normalize: fashion_mnist}]}
        model: {arch: spiking_cnn_28}
        neuron: {variant: lif, time_steps: 4}
        training: {epochs: 10, optimizer: {kind: adam, lr: 0.001}, schedule: {kind: cosine}}
        profiles:
          cpu: {data: {subset: 2000}, training: {epochs: 1}}
        ```

        ## How a manifest is read

        1. **`extends: base.yaml`** — the base is read first (its path is relative to the extending file's
           directory; bases may extend further bases; a cycle is an error naming the chain). The extending
           file is merged onto it: maps merge key by key, lists and scalars replace.
        2. **`profiles`** — named override sets. `--profile NAME` merges `profiles.NAME` onto the manifest
           with the same rules. A base's profiles are inherited and merged with the extending file's.
           Without `--profile`, no profile applies: the manifest as written is the paper's full setting,
           and `--profile full` means the same unless the manifest defines a `full` profile. An unknown
           profile is an error listing the defined ones. A profile cannot set `name`, `extends` or `profiles`.
        3. **`--set key.path=value`** — applied last, in order. The value is read as YAML:
           `--set training.optimizer.lr=0.05`, `--set data.augment=[horizontal_flip]`,
           `--set neuron.surrogate={kind: atan}` (maps merge, lists replace), `--set data.subset=null`.
           It cannot change `extends` or `profiles`, and cannot index into a list.
        4. **Validation** — every key is checked against the tables below before any work starts, and every
           problem is reported at once. Then defaults fill every key that applies, and the rules at the end
           of this page are checked.

        ## Values

        - **Unknown keys** are errors, with a suggestion of the closest allowed key.
        - **`null`** (or `~`, or an empty value) means "not set": the default applies. This is how an
          extending file, profile or `--set` drops an inherited value. A few keys give `null` a meaning of
          its own (listed as *null:* below); for them `null` is a value.
        - **Numbers** are written plainly (`0.1`, `5e-4`, `300`); a quoted `"0.1"` is text and rejected where
          a number is expected. Integers are accepted where numbers are. `true`/`false` only for flags.
        - **Keys that do not apply** to the chosen options (e.g. `neuron.tau` for `spikepack`, `momentum` for
          `adamw`) are errors when set, because a setting that silently does nothing hides mistakes. The
          *applies* column says when each key applies; the resolved manifest leaves such keys out.
        - **Paths**: `data.root` is relative to the current directory (like any command-line tool; `~/` is
          the home directory); `extends` is relative to the extending file. `data.root` must exist when the
          run starts, checked separately (`Manifest.validateFiles()`), since `spikelab data` creates roots.
        - **Subsets**: `data.subset: n` trains on the first n samples of the training set after shuffling it
          with a generator seeded by `seed` (so the subset is the same on every run and machine, and not
          biased to the file's order); `data.test_subset` does the same to the test set.

        ## Errors

        Each error names where the value was written (`file:line:column`, or the `--set` argument), the key
        path, the bad value and what is allowed; all errors are listed together. The command line exits with
        code 2 for manifest errors and 3 when only data files are missing.

        ```text
        2 errors in the manifest:
          exp.yaml:9:9: training.optimizer.lr: -0.1 is out of range; allowed: a number > 0
          --set neuron.surrogate.kind=sigmod: neuron.surrogate.kind: 'sigmod' is not allowed; did you mean 'sigmoid'?; allowed: sigmoid, atan, rectangle, triangle
        ```

        """)

        out.append("## Keys\n")
        out += sectionTable(title: "Top level", keys: ManifestSchema.keys, prefix: "")
        for key in ManifestSchema.keys {
            out += sections(key, prefix: "")
        }

        out.append("## Transforms (`data.augment`)\n")
        out.append("""
        Each item is a transform's bare name (when all its options have defaults) or a one-key map
        `{name: options}`, e.g. `[{random_crop: {size: 32, padding: 4}}, horizontal_flip, {normalize: cifar10}]`.
        They run in the order listed.

        | transform | options | works with | meaning |
        |---|---|---|---|
        """)
        for spec in ManifestSchema.transforms {
            let options: String
            switch spec.argument {
            case nil: options = "none"
            case let .section(keys)?:
                options = keys.map { "`\($0.name)`: \($0.type.phrase), default \(defaultText($0))" }.joined(separator: "; ")
            case let other?:
                options = other.phrase
            }
            let loaders = spec.loaders?.joined(separator: ", ") ?? "any loader"
            out.append("| `\(spec.name)` | \(cell(options)) | \(loaders) | \(cell(spec.doc)) |")
        }
        out.append("")

        out.append("## Rules between keys\n")
        out.append("Checked after each key is valid on its own; a broken rule is reported at the first key named.\n")
        for rule in ManifestSchema.rules {
            out.append("- \(rule.doc)")
        }
        out.append("")
        return out.joined(separator: "\n")
    }

    private static func sections(_ key: ManifestKey, prefix: String) -> [String] {
        guard let children = key.children else { return [] }
        let path = prefix.isEmpty ? key.name : "\(prefix).\(key.name)"
        var out = sectionTable(title: "`\(path)`" + (key.condition.map { " (\($0.phrase))" } ?? ""), keys: children, prefix: path)
        for child in children { out += sections(child, prefix: path) }
        return out
    }

    private static func sectionTable(title: String, keys: [ManifestKey], prefix: String) -> [String] {
        var out = ["### \(title)\n", "| key | type | default | applies | meaning |", "|---|---|---|---|---|"]
        for key in keys {
            let path = prefix.isEmpty ? key.name : "\(prefix).\(key.name)"
            let type: String = switch key.type {
            case .section: "map (below)"
            default: key.type.phrase
            }
            var meaning = key.doc
            if let nullMeaning = key.nullMeaning { meaning += " *null:* \(nullMeaning)." }
            let applies = key.condition.map { $0.phrase } ?? "always"
            out.append("| `\(path)` | \(cell(type)) | \(cell(defaultText(key))) | \(cell(applies)) | \(cell(meaning)) |")
        }
        out.append("")
        return out
    }

    private static func defaultText(_ key: ManifestKey) -> String {
        if key.children != nil { return "—" }
        switch key.type {
        case .baseManifest, .profiles: return "none"
        default: break
        }
        switch key.defaultValue {
        case .required: return "**required**"
        case let .value(value): return "`\(ResolvedManifestWriter.flow(value))`"
        case let .computed(computed): return computed.doc
        }
    }

    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
