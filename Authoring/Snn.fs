// F# authoring of networks: list-style builders that make the same syntax tree the parser makes, then check or save it.
module SnnDsl.Authoring.Snn

open System
open System.IO
open SnnDsl.Dsl
open SnnDsl.Dsl.Formatting
open SnnDsl.Dsl.Syntax

// ---- values ----

/// Converts F# values to expressions: ints, floats, bools, and expressions (parameters, words, lists).
type ToExpression =
    | ToExpression
    static member ($)(ToExpression, x: int) =
        let n = IntegerSyntax(abs (int64 x)) :> ExpressionSyntax
        if x < 0 then NegateSyntax n :> ExpressionSyntax else n
    static member ($)(ToExpression, x: float) =
        if Double.IsNaN x || Double.IsInfinity x then invalidArg (nameof x) "a network value must be a finite number"
        let n = FloatSyntax(abs x) :> ExpressionSyntax
        if x < 0.0 || (x = 0.0 && Double.IsNegative x) then NegateSyntax n :> ExpressionSyntax else n
    static member ($)(ToExpression, x: bool) = BooleanSyntax x :> ExpressionSyntax
    static member ($)(ToExpression, x: ExpressionSyntax) = x

let inline expr x : ExpressionSyntax = ToExpression $ x

let name text = NameSyntax text
let syntaxList (items: 'T seq) = SyntaxList.Of items

/// A network or block parameter, or a loop variable, used as a value.
let param (text: string) = NameExpressionSyntax text :> ExpressionSyntax
/// A word such as soft, hard, global.
let word (text: string) = NameExpressionSyntax text :> ExpressionSyntax
/// A string value.
let text (value: string) = StringSyntax value :> ExpressionSyntax
/// A list of values, e.g. list [ param "w"; word "global" ].
let list (items: ExpressionSyntax list) = ListSyntax(syntaxList items) :> ExpressionSyntax
/// A list of whole numbers, e.g. ints [64; 128].
let ints (items: int list) = list (items |> List.map (fun i -> expr i))

// ---- arguments ----

/// A named argument: arg "stride" 2 is `stride = 2`.
let inline arg (argName: string) value = ArgumentSyntax(name argName, expr value)
/// A positional argument.
let inline pos value = ArgumentSyntax(null, expr value)

let inline stride v = arg "stride" v
let inline padding v = arg "padding" v
let bias (v: bool) = arg "bias" v
let inline groups v = arg "groups" v
let inline dilation v = arg "dilation" v
let inline eps v = arg "eps" v
let inline momentum v = arg "momentum" v
let inline tau v = arg "tau" v
let inline decay v = arg "decay" v
let inline threshold v = arg "threshold" v
let reset (mode: string) = ArgumentSyntax(name "reset", word mode)
let inline resetValue v = arg "reset_value" v
let detachReset (v: bool) = arg "detach_reset" v
/// ALIF's adaptation time constant and threshold gain.
let inline tauAdapt v = arg "tau_adapt" v
let inline beta v = arg "beta" v
/// The surrogate names of the language (Dsl/Model/Surrogates/SurrogateCatalog.cs); any other name is refused here.
let surrogateNames = SnnDsl.Dsl.Model.Surrogates.SurrogateCatalog.Names |> List.ofSeq

/// Refuses a name the surrogate catalog does not list, naming the ones it does.
let knownSurrogate (kind: string) =
    if not (List.contains kind surrogateNames) then
        invalidArg (nameof kind) $"""unknown surrogate '{kind}'; the surrogates are {String.concat ", " surrogateNames}"""

/// `surrogate = kind(alpha = a)`, e.g. surrogate "sigmoid" 4.0.
let inline surrogate (kind: string) alpha =
    knownSurrogate kind
    ArgumentSyntax(name "surrogate", CallExpressionSyntax(name kind, syntaxList [ arg "alpha" alpha ]))

/// `surrogate = kind(args)` with any of the surrogate's arguments, e.g.
/// surrogateWith "piecewise_leaky_relu" [ arg "w" 0.5; arg "c" 0.0 ] or surrogateWith "erf" [].
let surrogateWith (kind: string) (args: ArgumentSyntax list) =
    knownSurrogate kind
    ArgumentSyntax(name "surrogate", CallExpressionSyntax(name kind, syntaxList args))

/// Initialisation schemes (values of `init`): defaultInit, normalInit 0.5, kaimingNormalInit "fan_out".
let defaultInit = word "default"
let inline normalInit std = CallExpressionSyntax(name "normal", syntaxList [ arg "std" std ]) :> ExpressionSyntax
let kaimingNormalInit (mode: string) =
    CallExpressionSyntax(name "kaiming_normal", syntaxList [ ArgumentSyntax(name "mode", word mode) ]) :> ExpressionSyntax
/// `init = scheme` on one conv or linear layer, e.g. linear (param "classes") [ initWith defaultInit ].
let initWith (scheme: ExpressionSyntax) = ArgumentSyntax(name "init", scheme)

// ---- layers ----

/// A block call or any layer by name with its arguments, e.g. call "basic" [ pos 64; stride 2 ].
let call (layer: string) (args: ArgumentSyntax list) = CallSyntax(name layer, syntaxList args) :> ItemSyntax

let inline conv channels kernel (options: ArgumentSyntax list) = call "conv" (pos channels :: pos kernel :: options)
let inline linear features (options: ArgumentSyntax list) = call "linear" (pos features :: options)
let bn = call "bn" []
let bnWith (options: ArgumentSyntax list) = call "bn" options
/// The neuron kinds of the language (Dsl/Model/Neurons/NeuronCatalog.cs); any other kind is refused here.
let neuronKinds = SnnDsl.Dsl.Model.Neurons.NeuronCatalog.Names |> List.ofSeq

/// Refuses a kind the neuron catalog does not list, naming the ones it does.
let knownNeuron (kind: string) =
    if not (List.contains kind neuronKinds) then
        invalidArg (nameof kind) $"""unknown neuron '{kind}'; the neurons are {String.concat ", " neuronKinds}"""

/// A neuron layer of any catalog kind with its arguments, e.g. neuronLayer "alif" [ tauAdapt 4.0; beta 0.2 ].
let neuronLayer (kind: string) (options: ArgumentSyntax list) =
    knownNeuron kind
    call kind options

let lif = neuronLayer "lif" []
let lifWith (options: ArgumentSyntax list) = neuronLayer "lif" options
let ifNeuron = neuronLayer "if" []
let ifWith (options: ArgumentSyntax list) = neuronLayer "if" options
let plif = neuronLayer "plif" []
let plifWith (options: ArgumentSyntax list) = neuronLayer "plif" options
let alif = neuronLayer "alif" []
let alifWith (options: ArgumentSyntax list) = neuronLayer "alif" options
let inline avgpool kernel (options: ArgumentSyntax list) = call "avgpool" (pos kernel :: options)
let globalAvgpool = call "avgpool" [ ArgumentSyntax(null, word "global") ]
let inline maxpool kernel (options: ArgumentSyntax list) = call "maxpool" (pos kernel :: options)
let inline adaptiveAvgpool size = call "adaptive_avgpool" [ pos size ]
let flatten = call "flatten" []
let inline dropout p = call "dropout" [ pos p ]
let identity = call "identity" []

// ---- structure ----

let private body (statements: StatementSyntax list) = BodySyntax(syntaxList statements, false, SyntaxList<string>.Empty)

/// Names a layer: label "stem" (conv 64 3 []) is `stem: conv(64, 3)`.
let label (labelText: string) (item: ItemSyntax) = item.WithLabel(name labelText)
/// `{ ... }`: a nested sequence of layers.
let group (statements: StatementSyntax list) = GroupSyntax(body statements) :> ItemSyntax
/// `repeat n item`.
let inline repeat count (item: ItemSyntax) = RepeatSyntax(expr count, item) :> ItemSyntax
/// `for variable in values { ... }`.
let forIn (variable: string) (values: ExpressionSyntax) (statements: StatementSyntax list) =
    ForSyntax(name variable, values, body statements) :> ItemSyntax

type Shortcut =
    | Auto
    | Identity
    | Layers of StatementSyntax list

type Merge =
    | Add
    | And
    | IAnd

let private shortcutSyntax shortcut =
    match shortcut with
    | Auto -> ShortcutSyntax(name "auto", null)
    | Identity -> ShortcutSyntax(name "identity", null)
    | Layers statements -> ShortcutSyntax(null, body statements)

let private mergeName merge =
    match merge with
    | Add -> "add"
    | And -> "and"
    | IAnd -> "iand"

/// `residual merge { body } shortcut ...`.
let residual (merge: Merge) (statements: StatementSyntax list) (shortcut: Shortcut) =
    ResidualSyntax(name (mergeName merge), body statements, shortcutSyntax shortcut) :> ItemSyntax

// ---- declarations ----

/// A declared parameter without a default.
let required (paramName: string) = ParameterSyntax(name paramName, null)
/// A declared parameter with a default.
let inline optional (paramName: string) value = ParameterSyntax(name paramName, expr value)

let input (dims: int list) = InputSyntax(ints dims) :> StatementSyntax
/// An input shape with parameters in it, e.g. inputOf [ param "channels"; param "size"; param "size" ].
let inputOf (dims: ExpressionSyntax list) = InputSyntax(list dims) :> StatementSyntax
let neuron (kind: string) (options: ArgumentSyntax list) =
    knownNeuron kind
    NeuronDeclarationSyntax(name kind, syntaxList options) :> StatementSyntax
/// `init scheme`: the initialisation of every later conv and linear layer in the body, e.g. initDeclaration (normalInit 0.5).
let initDeclaration (scheme: ExpressionSyntax) = InitDeclarationSyntax scheme :> StatementSyntax
/// `block name(params) { ... }`.
let block (blockName: string) (parameters: ParameterSyntax list) (statements: StatementSyntax list) =
    BlockDeclarationSyntax(name blockName, syntaxList parameters, body statements) :> StatementSyntax

/// A whole file: `snn 1` and `network name(params) { ... }`.
let network (networkName: string) (parameters: ParameterSyntax list) (statements: StatementSyntax list) =
    let net = NetworkSyntax(name networkName, syntaxList parameters, body statements)
    CompilationUnitSyntax(VersionSyntax Parser.LanguageVersion, net, SyntaxList<string>.Empty)

// ---- use ----

let private fileNameOf (unit: CompilationUnitSyntax) =
    (match unit.Network with
     | null -> "network"
     | n -> n.Name.Text)
    + ".snn"

/// The canonical .snn text of a network.
let format (unit: CompilationUnitSyntax) = Formatter.Format unit

/// Checks and builds the network through the same binder as text files (--set style overrides allowed).
let compileWith (overrides: string list) (unit: CompilationUnitSyntax) = Compiler.CompileSyntax(unit, fileNameOf unit, overrides)

let compile (unit: CompilationUnitSyntax) = compileWith [] unit

/// Saves the network as a .snn file.
let save (path: string) (unit: CompilationUnitSyntax) = File.WriteAllText(path, format unit, Text.UTF8Encoding false)
