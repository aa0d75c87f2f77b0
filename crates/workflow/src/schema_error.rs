//! Why a template folder was refused at load: one variant per rule of the manifest schema, so a
//! test (or an author's tool) can tell exactly which rule a manifest breaks.

/// `what` fields name the manifest part holding the reference, e.g. `slot prompt`,
/// `input ground_truth`, `profile high`, `parameter relight`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("manifest schema {found} (this app reads {expected})")]
    SchemaVersion { found: u32, expected: u32 },
    #[error("name {name:?} must be lowercase snake_case")]
    BadName { name: String },
    #[error("{what} {value:?} must be lowercase snake_case")]
    BadIdentifier { what: String, value: String },
    #[error("{field} must not be empty")]
    EmptyText { field: String },
    #[error("summary must be one line of at most {max} characters")]
    SummaryNotOneLine { max: usize },
    #[error("sub_mode and sub_mode_label must be given together")]
    SubModeLabel,
    #[error("graph.json has no nodes")]
    EmptyGraph,
    #[error("graph node {node}.{input} links to missing node {target}")]
    GraphLinkMissing {
        node: String,
        input: String,
        target: String,
    },
    #[error("graph node {node}.{input} uses a port outside the extension")]
    PortOutsideExtension { node: String, input: String },
    #[error("node class {class} is used but not declared in nodes")]
    ClassUndeclared { class: String },
    #[error("node class {class} is declared but not used")]
    ClassUnused { class: String },
    #[error("node class {class} names unknown pack {pack}")]
    UnknownPack { class: String, pack: String },
    #[error("{what}: target node {node}{} does not exist", if *extension { " (extension)" } else { "" })]
    TargetNodeMissing {
        what: String,
        node: String,
        extension: bool,
    },
    #[error("{what}: node {node} ({class}) has no input {input}")]
    TargetInputMissing {
        what: String,
        node: String,
        class: String,
        input: String,
    },
    #[error("{what}: input {node}.{input} is a link, not a value")]
    TargetIsLink {
        what: String,
        node: String,
        input: String,
    },
    #[error("{what}: target {node}.{input} is marked extension but there is no extension")]
    NoExtension {
        what: String,
        node: String,
        input: String,
    },
    #[error("model input {node}.{input} is not a file name")]
    ModelInputNotFile { node: String, input: String },
    #[error("slots video_prefix and poster_prefix are required")]
    PrefixSlotsMissing,
    #[error("max_points > 0 but no points slot")]
    PointsSlotMissing,
    #[error("input {role}: max must be at least 1")]
    InputMaxZero { role: String },
    #[error("input {role}: max {max} > 1 is only allowed for inputs with no targets")]
    InputMultipleWithTargets { role: String, max: u32 },
    #[error("input {role} is required but has no targets (an unbound input cannot be required)")]
    InputRequiredUnbound { role: String },
    #[error("input {role} has guidance text but also targets (guidance is bound nowhere)")]
    InputGuidanceWithTargets { role: String },
    #[error("input {role} is {kind}: only images can have fit \"output\"")]
    InputFitNotImage { role: String, kind: String },
    #[error("input {role} is {kind}: only images can have min_side")]
    InputMinSideNotImage { role: String, kind: String },
    #[error("input {role} is required: when_absent is only for optional inputs")]
    AbsentOnRequired { role: String },
    #[error("input {role} has when_absent but no targets (there is nothing to leave out)")]
    AbsentUnbound { role: String },
    #[error(
        "input {role}: when_absent cannot leave out extension nodes (its targets must be graph.json nodes)"
    )]
    AbsentExtensionTarget { role: String },
    #[error(
        "input {role}: leaving it out cuts {node}.{input}{}, which when_absent.drop_links does not list (a consumer input the server requires cannot be dropped)",
        if *extension { " (extension)" } else { "" }
    )]
    AbsentCutsRequiredInput {
        role: String,
        node: String,
        input: String,
        extension: bool,
    },
    #[error(
        "input {role}: when_absent.drop_links names {node}.{input}{}, which is not a link into the nodes the input loads",
        if *extension { " (extension)" } else { "" }
    )]
    AbsentDropNotALink {
        role: String,
        node: String,
        input: String,
        extension: bool,
    },
    #[error("input {role}: {what} uses {target}, which is removed when the input is absent")]
    AbsentNodeReferenced {
        role: String,
        /// The node (`"112"`) or input (`"111.end_image"`) that binding removes.
        target: String,
        what: String,
    },
    #[error("timeline input {role} is not a declared input")]
    TimelineInputUnknown { role: String },
    #[error("timeline input {role} is {kind}: it must be audio or video")]
    TimelineInputKind { role: String, kind: String },
    #[error("timeline input {role} must be required and bound to the graph")]
    TimelineInputOptional { role: String },
    #[error("timeline frame counts must be positive")]
    TimelineFrames,
    #[error("timeline fps must be positive")]
    TimelineFps,
    #[error("a timeline driven by {source_kind} needs a fixed fps")]
    TimelineNeedsFps { source_kind: String },
    #[error("extension fragment is empty")]
    ExtensionEmpty,
    #[error("extension node id {id} also exists in graph.json (ids must be distinct)")]
    ExtensionIdClash { id: String },
    #[error("port {port} must start as a link into graph.json")]
    PortStart { port: String },
    #[error("port {port} needs an output link into the fragment")]
    PortOutput { port: String },
    #[error("extension outputs must match its ports")]
    PortsOutputsMismatch,
    #[error("fragment {node}.{input} uses unknown port {port}")]
    FragmentUnknownPort {
        node: String,
        input: String,
        port: String,
    },
    #[error("fragment {node}.{input} links to missing node {target}")]
    FragmentLinkMissing {
        node: String,
        input: String,
        target: String,
    },
    #[error("consumer {node}.{input} names unknown port {port}")]
    ConsumerUnknownPort {
        node: String,
        input: String,
        port: String,
    },
    #[error("consumer {node}.{input} must be an existing link input")]
    ConsumerNotLink { node: String, input: String },
    #[error("no quality profiles")]
    NoProfiles,
    #[error("profile {profile} has no resolutions")]
    ProfileNoResolutions { profile: String },
    #[error("profile {profile} has different aspects than the others")]
    ProfileAspectsDiffer { profile: String },
    #[error("profile {profile} aspect {aspect}: {width}x{height} is not a multiple of 16")]
    ResolutionNot16 {
        profile: String,
        aspect: String,
        width: u32,
        height: u32,
    },
    #[error("profile {profile}: steps, max_chunks and max_duration_secs must be positive")]
    ProfileNotPositive { profile: String },
    #[error("profile {profile}: max_chunks must be 1 without an extension")]
    ProfileChunksWithoutExtension { profile: String },
    #[error(
        "profile {profile}: the preferred variant needs neither a model file nor GPU memory, so it would always apply (put its values in the profile)"
    )]
    PreferUnconditional { profile: String },
    #[error("profile {profile}: min_vram_gb must be positive")]
    PreferVram { profile: String },
    #[error("{what}: bypass of missing node {node}")]
    BypassNodeMissing { what: String, node: String },
    #[error("{what}: bypass of {node} needs input {input} to be a link")]
    BypassNotLink {
        what: String,
        node: String,
        input: String,
    },
    #[error("default profile {profile} does not exist")]
    DefaultProfileUnknown { profile: String },
    #[error("default aspect {aspect} does not exist")]
    DefaultAspectUnknown { aspect: String },
    #[error("default framing {framing} does not exist")]
    DefaultFramingUnknown { framing: String },
    #[error("framings are defined but there is no default framing")]
    FramingWithoutDefault,
    #[error("framing {framing}: resolution_scale must be positive")]
    FramingScale { framing: String },
    #[error("parameter {name} is declared twice")]
    ParameterTwice { name: String },
    #[error("parameter {name}: default outside range")]
    ParameterDefaultOutOfRange { name: String },
    #[error("parameter {name}: default is not an option")]
    ParameterDefaultNotOption { name: String },
    #[error("requires: device type must not be empty")]
    DeviceEmpty,
}
