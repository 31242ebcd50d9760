using System;
using System.Collections.Generic;
using System.Globalization;
using ModelBuildTasks.Generator.Cards;
using ModelBuildTasks.Generator.Naming;

namespace ModelBuildTasks.Generator.Emit;

/// <summary>
/// Writes the C# source of one model's typed wrapper. The output only uses C# 9 syntax and fully qualified type
/// names (no usings), so it compiles in any app on .NET 8+ whatever its usings, nullable or warning settings.
/// </summary>
internal sealed class WrapperEmitter
{
    private const string Runtime = "global::ModelBuildTasks.Runtime";

    // Members and nested types every wrapper has; tensor members must not take these names.
    internal static readonly string[] Reserved =
    {
        "Inputs", "Outputs", "ModelInfo", "Prediction", "Run", "Predict", "PredictBatch", "RunBatch", "Create",
        "CreateAsync", "FromFile", "FromStream", "FromCompiledModel", "LoadCompiledModel", "LoadDeployedModel",
        "ResolveTensor", "SignatureOf", "LoadGate", "Session", "Dispose", "ModelFile", "ResourceName", "Equals", "GetHashCode",
        "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals", "Index", "Label", "Score",
    };

    private readonly ModelCard card;
    private readonly string className;
    private readonly string? ns;
    private readonly CodeWriter w = new();
    // Members of a signature's nested class besides those every wrapper has.
    private static readonly string[] NestedReserved = { "Key" };

    // The default signature: the wrapper's own members run it. Null when the card lists no signature.
    private readonly SignaturePlan? main;

    // Every other signature: a nested class each, opened through a property of the wrapper.
    private readonly List<SignaturePlan> others = new();

    private WrapperEmitter(ModelCard card, string? ns, string className)
    {
        this.card = card;
        this.ns = ns;
        this.className = className;
        var primary = PickSignature(card);
        if (primary < 0)
        {
            return;
        }
        // Tensor members must not take the class's own name (CS0542) nor any fixed member's.
        var names = new NameAllocator(Reserved);
        names.Allocate(className, _ => Array.Empty<string>());
        main = new SignaturePlan(card.Signatures[primary]);
        Plan(main, names);
        for (var i = 0; i < card.Signatures.Count; i++)
        {
            if (i == primary)
            {
                continue;
            }
            // Property "EncodeV2" opens nested class "EncodeV2Signature"; both share the wrapper's namespace of names.
            var other = new SignaturePlan(card.Signatures[i]);
            other.Member = names.Allocate(Identifiers.ToPascal(other.Spec.Key, "Signature", "Signature"), m => new[] { m + "Signature" });
            other.Field = "signature" + (others.Count + 1).ToString(CultureInfo.InvariantCulture);
            var inner = new NameAllocator(Concat(Reserved, NestedReserved));
            inner.Allocate(other.TypeName, _ => Array.Empty<string>());
            Plan(other, inner);
            others.Add(other);
        }
    }

    private bool HasLabels => (main?.Outputs.Exists(o => o.HasLabels) ?? false) || others.Exists(s => s.Outputs.Exists(o => o.HasLabels));

    // The default signature on subgraph 0 runs on the model's main entry point by tensor names, as wrappers always
    // have (so a model file without the signature, e.g. from an older converter, still loads); one elsewhere is opened by key.
    private bool MainOnRoot => main is not null && main.Spec.Subgraph == 0;

    /// <summary>The source text of the wrapper for <paramref name="card"/>.</summary>
    public static string Emit(ModelCard card, string? ns, string className) => new WrapperEmitter(card, ns, className).Write();

    /// <summary>
    /// The default signature (index in the card): the first one on subgraph 0, as wrappers have always exposed, else
    /// the first; -1 when there is none.
    /// </summary>
    private static int PickSignature(ModelCard card)
    {
        for (var i = 0; i < card.Signatures.Count; i++)
        {
            if (card.Signatures[i].Subgraph == 0)
            {
                return i;
            }
        }
        return card.Signatures.Count > 0 ? 0 : -1;
    }

    private static string[] Concat(string[] a, string[] b)
    {
        var all = new string[a.Length + b.Length];
        a.CopyTo(all, 0);
        b.CopyTo(all, a.Length);
        return all;
    }

    private static void Plan(SignaturePlan signature, NameAllocator names)
    {
        Plan(signature.Spec.Inputs, signature.Inputs, signature.Skipped, names, isInput: true);
        Plan(signature.Spec.Outputs, signature.Outputs, signature.Skipped, names, isInput: false);
    }

    private static void Plan(EquatableArray<TensorSpec> tensors, List<TensorPlan> into, List<string> skipped, NameAllocator names, bool isInput)
    {
        for (var i = 0; i < tensors.Count; i++)
        {
            var spec = tensors[i];
            if (TensorPlan.Create(spec, i) is not { } plan)
            {
                skipped.Add($"{(isInput ? "input" : "output")} '{spec.Name}' ({spec.Type})");
                continue;
            }
            var stem = Identifiers.ToPascal(spec.SignatureName ?? spec.Name, isInput ? "Input" : "Output", isInput ? "Input" : "Output");
            plan.Member = names.Allocate(stem, s => plan.DerivedNames(s, isInput));
            into.Add(plan);
        }
    }

    private string Write()
    {
        w.Line("// <auto-generated/>");
        w.Line($"// Generated by ModelBuildTasks from the model card of {card.DisplayFile}. Do not edit: rebuild instead.");
        w.Line("#nullable enable");
        w.Line();
        if (ns is not null)
        {
            w.Open($"namespace {ns}");
        }
        WriteClass();
        if (ns is not null)
        {
            w.Close();
        }
        return w.ToString();
    }

    private void WriteClass()
    {
        w.Line("/// <summary>");
        w.Line($"/// Typed wrapper of <c>{Literals.Xml(card.DisplayFile)}</c> on the ModelBuildTasks runtime{(card.Optimization is { } o ? $" (optimization: {Literals.Xml(o)})" : "")}.");
        if (main is not null)
        {
            w.Line($"/// Inputs: {Literals.Xml(Literals.Join(main.Inputs, p => p.Member))}. Outputs: {Literals.Xml(Literals.Join(main.Outputs, p => p.Member))}.");
        }
        if (card.TfliteMetadata?.Description is { Length: > 0 } description)
        {
            w.Line($"/// {Literals.Xml(description)}");
        }
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        w.Line("/// One instance owns one session: use it from one thread at a time, or create one per thread (they share the");
        w.Line("/// loaded weights). Dispose it to stop its worker threads.");
        if (main is null)
        {
            w.Line("/// The model card lists no signature, so there are no typed inputs and outputs.");
        }
        else if (others.Count > 0)
        {
            w.Line($"/// The model has {card.Signatures.Count} signatures: the members of this class run '{Literals.Xml(main.Spec.Key)}';");
            w.Line($"/// {Literals.Join(others, x => $"<see cref=\"{x.Member}\"/> runs '{Literals.Xml(x.Spec.Key)}'")}.");
        }
        foreach (var s in main?.Skipped ?? new List<string>())
        {
            w.Line($"/// The {Literals.Xml(s)} has no typed form; use <see cref=\"Session\"/> for it.");
        }
        w.Line("/// </remarks>");
        w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"ModelBuildTasks.Generator\", \"" + GeneratorVersion.Value + "\")]");
        w.Open($"public sealed partial class {className} : global::System.IDisposable");
        WriteLoading();
        if (main is not null)
        {
            WriteTensorAccessors(main);
            WriteRun(main);
            WriteInputType(main);
            WriteOutputType(main);
        }
        foreach (var other in others)
        {
            WriteSignatureClass(other);
        }
        if (HasLabels)
        {
            WritePrediction();
        }
        WriteModelInfo();
        w.Close();
    }

    /// <summary>A nested class with the typed API of one more signature, on a session of its own.</summary>
    private void WriteSignatureClass(SignaturePlan s)
    {
        w.Line("/// <summary>");
        w.Line($"/// Typed access to signature <c>{Literals.Xml(s.Spec.Key)}</c> of <c>{Literals.Xml(card.DisplayFile)}</c>.");
        w.Line($"/// Inputs: {Literals.Xml(Literals.Join(s.Inputs, p => p.Member))}. Outputs: {Literals.Xml(Literals.Join(s.Outputs, p => p.Member))}.");
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        w.Line($"/// It runs on a session of its own, on the model the {className} instance loaded; disposing that instance disposes it.");
        foreach (var skipped in s.Skipped)
        {
            w.Line($"/// The {Literals.Xml(skipped)} has no typed form; use <see cref=\"Session\"/> for it.");
        }
        w.Line("/// </remarks>");
        w.Open($"public sealed class {s.TypeName} : global::System.IDisposable");
        w.Line("/// <summary>The signature's key in the model.</summary>");
        w.Line($"public const string Key = {Literals.String(s.Spec.Key)};");
        w.Line();
        w.Line($"private readonly {Runtime}.ModelSession session;");
        w.Line("private readonly int[] inputIndex;");
        w.Line("private readonly int[] outputIndex;");
        w.Line();
        w.Open($"internal {s.TypeName}({Runtime}.CompiledModel model, {Runtime}.SessionOptions? options)");
        w.Line("var entry = SignatureOf(model, Key);");
        WriteResolve(s, "entry", byTensorName: false);
        w.Line("session = entry.CreateSession(options);");
        w.Close();
        w.Line();
        w.Line("/// <summary>The session this signature runs on, for anything the typed API does not cover.</summary>");
        w.Line($"public {Runtime}.ModelSession Session => session;");
        w.Line();
        w.Line("/// <summary>Stops the session's worker threads.</summary>");
        w.Line("public void Dispose() => session.Dispose();");
        w.Line();
        WriteTensorAccessors(s);
        WriteRun(s);
        WriteInputType(s);
        WriteOutputType(s);
        w.Close();
        w.Line();
    }

    /// <summary>The index arrays of a signature's tensors, resolved (and checked) on <paramref name="entry"/>.</summary>
    private void WriteResolve(SignaturePlan s, string entry, bool byTensorName)
    {
        // A signature's entry is searched by the signature's names (unique within it), the main entry by tensor names.
        string Name(TensorPlan p) => Literals.String(byTensorName ? p.Spec.Name : p.Spec.SignatureName ?? p.Spec.Name);
        // Resolve tensors before creating the session, so a mismatch does not leak its worker threads.
        w.Line("inputIndex = new int[] { " + Literals.Join(s.Inputs, p => $"ResolveTensor({entry}, true, {Name(p)}, {Literals.Int(p.Length)})") + " };");
        w.Line("outputIndex = new int[] { " + Literals.Join(s.Outputs, p => $"ResolveTensor({entry}, false, {Name(p)}, {Literals.Int(p.Length)})") + " };");
    }

    private void WriteLoading()
    {
        var deployed = card.Deploy switch
        {
            "embed" when card.ResourceName is { Length: > 0 } => "embed",
            "copy" when card.DeployedFile is { Length: > 0 } => "copy",
            _ => "none",
        };
        if (deployed != "none")
        {
            w.Line("private static readonly object LoadGate = new object();");
            w.Line($"private static {Runtime}.CompiledModel? sharedModel;");
        }
        w.Line($"private readonly {Runtime}.ModelSession session;");
        w.Line("private readonly int[] inputIndex;");
        w.Line("private readonly int[] outputIndex;");
        if (others.Count > 0)
        {
            w.Line($"private readonly {Runtime}.CompiledModel model;");
            w.Line($"private readonly {Runtime}.SessionOptions? options;");
            w.Line("private bool disposed;");
            foreach (var other in others)
            {
                w.Line($"private {other.TypeName}? {other.Field};");
            }
        }
        w.Line();
        w.Open($"private {className}({Runtime}.CompiledModel model, {Runtime}.SessionOptions? options)");
        w.Line("if (model is null) throw new global::System.ArgumentNullException(nameof(model));");
        var entry = "model";
        if (main is not null && !MainOnRoot)
        {
            entry = "entry";
            w.Line($"var entry = SignatureOf(model, {Literals.String(main.Spec.Key)});");
        }
        if (main is null)
        {
            w.Line("inputIndex = new int[] {  };");
            w.Line("outputIndex = new int[] {  };");
        }
        else
        {
            WriteResolve(main, entry, byTensorName: MainOnRoot);
        }
        if (others.Count > 0)
        {
            // Fail now, not on first use, when the loaded model lacks a signature the wrapper was generated for.
            foreach (var other in others)
            {
                w.Line($"SignatureOf(model, {other.TypeName}.Key);");
            }
            w.Line("this.model = model;");
            w.Line("this.options = options;");
        }
        w.Line($"session = {entry}.CreateSession(options);");
        w.Close();
        w.Line();

        if (deployed == "copy")
        {
            w.Line("/// <summary>The model file, relative to the app's output folder.</summary>");
            w.Line($"public const string ModelFile = {Literals.String(card.DeployedFile)};");
            w.Line();
        }
        else if (deployed == "embed")
        {
            w.Line("/// <summary>The manifest resource holding the model.</summary>");
            w.Line($"public const string ResourceName = {Literals.String(card.ResourceName)};");
            w.Line();
        }

        w.Line("/// <summary>The session this wrapper runs on, for anything the typed API does not cover.</summary>");
        w.Line($"public {Runtime}.ModelSession Session => session;");
        w.Line();

        if (deployed != "none")
        {
            var where = deployed == "copy" ? "the model file deployed next to the app" : "the model embedded in this assembly";
            w.Line($"/// <summary>Creates a wrapper on {where}; the model is loaded once and shared by all instances.</summary>");
            w.Line("/// <param name=\"options\">Session options, e.g. <c>new SessionOptions { Threads = 4 }</c>.</param>");
            w.Line($"public static {className} Create({Runtime}.SessionOptions? options = null) => new {className}(LoadCompiledModel(), options);");
            w.Line();
            w.Line($"/// <summary>Creates a wrapper on {where} without blocking the caller (loading parses and prepares the model).</summary>");
            w.Line("/// <param name=\"options\">Session options, e.g. <c>new SessionOptions { Threads = 4 }</c>.</param>");
            w.Line("/// <param name=\"cancellationToken\">Cancels the wait before loading starts.</param>");
            w.Line($"public static global::System.Threading.Tasks.Task<{className}> CreateAsync({Runtime}.SessionOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default) =>");
            w.Line($"    global::System.Threading.Tasks.Task.Run(() => Create(options), cancellationToken);");
            w.Line();
            w.Line($"/// <summary>The deployed model, loaded and prepared on first use (a failed load is retried on the next call).</summary>");
            w.Open($"public static {Runtime}.CompiledModel LoadCompiledModel()");
            w.Open("lock (LoadGate)");
            w.Line("return sharedModel ??= LoadDeployedModel();");
            w.Close();
            w.Close();
            w.Line();
            w.Open($"private static {Runtime}.CompiledModel LoadDeployedModel()");
            if (deployed == "copy")
            {
                w.Line($"return {Runtime}.CompiledModel.Load(global::System.IO.Path.Combine(global::System.AppContext.BaseDirectory, ModelFile));");
            }
            else
            {
                w.Line($"using var stream = typeof({className}).Assembly.GetManifestResourceStream(ResourceName)");
                w.Line($"    ?? throw new global::System.InvalidOperationException(\"The embedded model resource '\" + ResourceName + \"' is missing from \" + typeof({className}).Assembly.GetName().Name + \".\");");
                w.Line($"return {Runtime}.CompiledModel.Load(stream);");
            }
            w.Close();
            w.Line();
        }

        w.Line("/// <summary>Creates a wrapper on a model file with the same inputs and outputs (e.g. a downloaded update).</summary>");
        w.Line("/// <param name=\"path\">The .tflite file.</param>");
        w.Line("/// <param name=\"options\">Session options.</param>");
        w.Line($"public static {className} FromFile(string path, {Runtime}.SessionOptions? options = null) => new {className}({Runtime}.CompiledModel.Load(path), options);");
        w.Line();
        w.Line("/// <summary>Creates a wrapper on a model read from a stream.</summary>");
        w.Line("/// <param name=\"stream\">The .tflite bytes.</param>");
        w.Line("/// <param name=\"options\">Session options.</param>");
        w.Line($"public static {className} FromStream(global::System.IO.Stream stream, {Runtime}.SessionOptions? options = null) => new {className}({Runtime}.CompiledModel.Load(stream), options);");
        w.Line();
        w.Line("/// <summary>Creates a wrapper with a session of its own on an already loaded model.</summary>");
        w.Line("/// <param name=\"model\">The loaded model.</param>");
        w.Line("/// <param name=\"options\">Session options.</param>");
        w.Line($"public static {className} FromCompiledModel({Runtime}.CompiledModel model, {Runtime}.SessionOptions? options = null) => new {className}(model, options);");
        w.Line();
        foreach (var other in others)
        {
            w.Line($"/// <summary>Runs signature <c>{Literals.Xml(other.Spec.Key)}</c> (inputs: {Literals.Xml(Literals.Join(other.Inputs, p => p.Member))}; outputs: {Literals.Xml(Literals.Join(other.Outputs, p => p.Member))}) on a session of its own, created on first use.</summary>");
            w.Line($"public {other.TypeName} {other.Member} => {other.Field} ??= disposed ? throw new global::System.ObjectDisposedException(nameof({className})) : new {other.TypeName}(model, options);");
            w.Line();
        }
        if (others.Count == 0)
        {
            w.Line("/// <summary>Stops the session's worker threads.</summary>");
            w.Line("public void Dispose() => session.Dispose();");
            w.Line();
        }
        else
        {
            w.Line("/// <summary>Stops the worker threads of this wrapper's sessions, every signature's included.</summary>");
            w.Open("public void Dispose()");
            w.Line("disposed = true;");
            w.Line("session.Dispose();");
            foreach (var other in others)
            {
                w.Line($"{other.Field}?.Dispose();");
            }
            w.Close();
            w.Line();
        }
        if (main is not null && (!MainOnRoot || others.Count > 0))
        {
            w.Open($"private static {Runtime}.CompiledModel SignatureOf({Runtime}.CompiledModel model, string key)");
            w.Line("foreach (var existing in model.SignatureKeys)");
            w.Line("    if (existing == key) return model.GetSignature(key);");
            w.Line($"throw new global::System.InvalidOperationException(\"The loaded model has no signature '\" + key + \"': it is not the model {className} was generated for; rebuild.\");");
            w.Close();
            w.Line();
        }
        w.Open($"private static int ResolveTensor({Runtime}.CompiledModel model, bool input, string name, long length)");
        w.Line("var kind = input ? \"input\" : \"output\";");
        w.Line("var index = input ? model.FindInput(name) : model.FindOutput(name);");
        w.Line("if (index < 0)");
        w.Line($"    throw new global::System.InvalidOperationException(\"The loaded model has no \" + kind + \" '\" + name + \"': it is not the model {className} was generated for; rebuild.\");");
        w.Line("var actual = (input ? model.Inputs[index] : model.Outputs[index]).ElementCount;");
        w.Line("if (actual != length)");
        w.Line($"    throw new global::System.InvalidOperationException(\"The loaded model's \" + kind + \" '\" + name + \"' has \" + actual + \" elements, {className} expects \" + length + \": rebuild.\");");
        w.Line("return index;");
        w.Close();
        w.Line();
    }

    private void WriteTensorAccessors(SignaturePlan s)
    {
        foreach (var p in s.Inputs)
        {
            var index = $"inputIndex[{Literals.Int(s.Inputs.IndexOf(p))}]";
            w.Line($"/// <summary>The session's memory of input {Describe(p)}: write {p.StoredType.Replace("global::System.", "")} values here (no copy), then call <see cref=\"Run()\"/>.</summary>");
            w.Line($"public global::System.Span<{p.StoredType}> {p.Member}Span => session.GetInput<{p.StoredType}>({index});");
            w.Line();
            w.Line($"/// <summary>Copies <paramref name=\"values\"/> ({Literals.Int(p.Length)} {p.ValueType}) into input {Describe(p)}{ConversionNote(p, true)}.</summary>");
            w.Line("/// <param name=\"values\">The values, in row-major order.</param>");
            w.Open($"public void Set{p.Member}(global::System.ReadOnlySpan<{p.ValueType}> values)");
            CheckLength("values", p);
            if (p.Conversion == Conversion.None)
            {
                w.Line($"values.CopyTo(session.GetInput<{p.StoredType}>({index}));");
            }
            else
            {
                w.Line($"var stored = session.GetInput<{p.StoredType}>({index});");
                w.Line("for (var i = 0; i < values.Length; i++)");
                w.Line($"    stored[i] = {Store(p, "values[i]")};");
            }
            w.Close();
            w.Line();
            if (p.HasNormalization && p.ValueType == "float")
            {
                WritePixels(p, index, "float");
                WritePixels(p, index, "byte");
            }
        }
        foreach (var p in s.Outputs)
        {
            var index = $"outputIndex[{Literals.Int(s.Outputs.IndexOf(p))}]";
            w.Line($"/// <summary>The session's memory of output {Describe(p)} after <see cref=\"Run()\"/> (no copy; valid until the next run).</summary>");
            w.Line($"public global::System.ReadOnlySpan<{p.StoredType}> {p.Member}Span => session.GetOutput<{p.StoredType}>({index});");
            w.Line();
            w.Line($"/// <summary>Copies output {Describe(p)} into <paramref name=\"destination\"/>{ConversionNote(p, false)}.</summary>");
            w.Line($"/// <param name=\"destination\">At least {Literals.Int(p.Length)} elements.</param>");
            w.Open($"public void Copy{p.Member}To(global::System.Span<{p.ValueType}> destination)");
            w.Line($"if (destination.Length < Outputs.{p.Member}Length)");
            w.Line($"    throw new global::System.ArgumentException(\"{p.Member} needs \" + Outputs.{p.Member}Length + \" elements, the destination has \" + destination.Length + \".\", nameof(destination));");
            w.Line($"var stored = session.GetOutput<{p.StoredType}>({index});");
            if (p.Conversion == Conversion.None)
            {
                w.Line("stored.CopyTo(destination);");
            }
            else
            {
                w.Line("for (var i = 0; i < stored.Length; i++)");
                w.Line($"    destination[i] = {Load(p, "stored[i]")};");
            }
            w.Close();
            w.Line();
        }
    }

    private void WritePixels(TensorPlan p, string index, string pixelType)
    {
        var n = p.Spec.Normalization!;
        w.Line($"/// <summary>");
        w.Line($"/// Sets input {Describe(p)} from {(pixelType == "byte" ? "8-bit" : "float")} pixels (interleaved channels, row-major), normalized with the model's");
        w.Line($"/// metadata: value = (pixel - mean) / std, mean {Literals.Xml(Literals.Join(n.Mean, Literals.Number))}, std {Literals.Xml(Literals.Join(n.Std, Literals.Number))}{ConversionNote(p, true)}.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"pixels\">The image, already resized to the input's shape.</param>");
        w.Open($"public void Set{p.Member}FromPixels(global::System.ReadOnlySpan<{pixelType}> pixels)");
        CheckLength("pixels", p);
        w.Line($"var mean = Inputs.{p.Member}Mean;");
        w.Line($"var std = Inputs.{p.Member}Std;");
        w.Line($"var stored = session.GetInput<{p.StoredType}>({index});");
        w.Line("for (var i = 0; i < pixels.Length; i++)");
        w.Open("");
        var channels = n.Mean.Count > n.Std.Count ? n.Mean.Count : n.Std.Count;
        var channel = channels == 1 ? "0" : $"i % {Literals.Int(channels)}";
        var meanAt = n.Mean.Count == 1 ? "mean[0]" : $"mean[{channel}]";
        var stdAt = n.Std.Count == 1 ? "std[0]" : $"std[{channel}]";
        w.Line($"var value = (pixels[i] - {meanAt}) / {stdAt};");
        w.Line($"stored[i] = {Store(p, "value")};");
        w.Close();
        w.Close();
        w.Line();
    }

    private void WriteRun(SignaturePlan s)
    {
        var inputs = s.Inputs;
        var outputs = s.Outputs;
        w.Line("/// <summary>Runs the model once on the values in the input spans; results are in the output spans.</summary>");
        w.Line("public void Run() => session.Run();");
        w.Line();
        w.Line("/// <summary>Runs the model on <paramref name=\"inputs\"/> and writes the results into <paramref name=\"outputs\"/> (allocates nothing).</summary>");
        w.Line("/// <param name=\"inputs\">The inputs.</param>");
        w.Line("/// <param name=\"outputs\">Receives the outputs; reuse it across runs.</param>");
        w.Open("public void Run(in Inputs inputs, Outputs outputs)");
        w.Line("if (outputs is null) throw new global::System.ArgumentNullException(nameof(outputs));");
        foreach (var p in inputs)
        {
            w.Line($"Set{p.Member}(inputs.{p.Member}.Span);");
        }
        w.Line("session.Run();");
        foreach (var p in outputs)
        {
            w.Line($"Copy{p.Member}To(outputs.{p.Member});");
        }
        w.Close();
        w.Line();
        w.Line("/// <summary>Runs the model on <paramref name=\"inputs\"/> and returns new output arrays.</summary>");
        w.Line("/// <param name=\"inputs\">The inputs.</param>");
        w.Line("/// <returns>The outputs.</returns>");
        w.Open("public Outputs Predict(in Inputs inputs)");
        w.Line("var outputs = new Outputs();");
        w.Line("Run(in inputs, outputs);");
        w.Line("return outputs;");
        w.Close();
        w.Line();
        if (inputs.Count == 1)
        {
            var single = inputs[0];
            w.Line($"/// <summary>Runs the model on the values of its only input, {Describe(single)}, and returns new output arrays.</summary>");
            w.Line($"/// <param name=\"values\">{Literals.Int(single.Length)} values{ConversionNote(single, true)}.</param>");
            w.Line("/// <returns>The outputs.</returns>");
            w.Line($"public Outputs Predict(global::System.ReadOnlyMemory<{single.ValueType}> values) => Predict(new Inputs {{ {single.Member} = values }});");
            w.Line();
        }
        var dynamicNote = inputs.Exists(p => p.IsDynamic)
            ? " The model's dynamic batch dimension runs as one item per run with the static shape."
            : "";
        w.Line($"/// <summary>Runs the model on each input in turn, writing into the matching output (allocates nothing).{dynamicNote}</summary>");
        w.Line("/// <param name=\"inputs\">The inputs.</param>");
        w.Line("/// <param name=\"outputs\">One output per input.</param>");
        w.Open("public void RunBatch(global::System.ReadOnlySpan<Inputs> inputs, global::System.ReadOnlySpan<Outputs> outputs)");
        w.Line("if (outputs.Length != inputs.Length)");
        w.Line("    throw new global::System.ArgumentException(\"Expected \" + inputs.Length + \" outputs, got \" + outputs.Length + \".\", nameof(outputs));");
        w.Line("for (var i = 0; i < inputs.Length; i++)");
        w.Line("    Run(in inputs[i], outputs[i]);");
        w.Close();
        w.Line();
        w.Line($"/// <summary>Runs the model on each input in turn and returns one new output per input.{dynamicNote}</summary>");
        w.Line("/// <param name=\"inputs\">The inputs.</param>");
        w.Line("/// <returns>The outputs, in input order.</returns>");
        w.Open("public Outputs[] PredictBatch(global::System.ReadOnlySpan<Inputs> inputs)");
        w.Line("var results = new Outputs[inputs.Length];");
        w.Line("for (var i = 0; i < inputs.Length; i++)");
        w.Line("    results[i] = Predict(in inputs[i]);");
        w.Line("return results;");
        w.Close();
        w.Line();
    }

    private void WriteInputType(SignaturePlan s)
    {
        w.Line($"/// <summary>The inputs of signature '{Literals.Xml(s.Spec.Key)}', one member per tensor.</summary>");
        w.Open("public readonly struct Inputs");
        foreach (var p in s.Inputs)
        {
            WriteShapeConstants(p);
            if (p.HasNormalization)
            {
                var n = p.Spec.Normalization!;
                w.Line($"/// <summary>Per-channel mean subtracted from pixels of {p.Member} (TFLite metadata).</summary>");
                w.Line($"public static global::System.ReadOnlySpan<float> {p.Member}Mean => {Literals.FloatArray(n.Mean)};");
                w.Line();
                w.Line($"/// <summary>Per-channel standard deviation dividing pixels of {p.Member} (TFLite metadata).</summary>");
                w.Line($"public static global::System.ReadOnlySpan<float> {p.Member}Std => {Literals.FloatArray(n.Std)};");
                w.Line();
            }
            w.Line($"/// <summary>Input {Describe(p)}: {Literals.Int(p.Length)} values{ConversionNote(p, true)}.</summary>");
            w.Line($"public global::System.ReadOnlyMemory<{p.ValueType}> {p.Member} {{ get; init; }}");
            w.Line();
        }
        w.Close();
        w.Line();
    }

    private void WriteOutputType(SignaturePlan s)
    {
        w.Line($"/// <summary>The outputs of signature '{Literals.Xml(s.Spec.Key)}', one array per tensor.</summary>");
        w.Open("public sealed class Outputs");
        w.Line("/// <summary>Allocates every output array.</summary>");
        w.Open("public Outputs()");
        foreach (var p in s.Outputs)
        {
            w.Line($"{p.Member} = new {p.ValueType}[{p.Member}Length];");
        }
        w.Close();
        w.Line();
        foreach (var p in s.Outputs)
        {
            WriteShapeConstants(p);
            // The build measures the default signature's outputs only.
            var metrics = ReferenceEquals(s, main) ? MetricsNote(p) : "";
            w.Line($"/// <summary>Output {Describe(p)}{ConversionNote(p, false)}.{metrics}</summary>");
            w.Line($"public {p.ValueType}[] {p.Member} {{ get; }}");
            w.Line();
            if (p.HasLabels)
            {
                WriteLabels(p);
            }
        }
        w.Close();
        w.Line();
    }

    private void WriteLabels(TensorPlan p)
    {
        var labels = p.Spec.Labels!.Value;
        w.Line($"/// <summary>The class names of {p.Member}, by index (from the model's labels file).</summary>");
        w.Line($"public static global::System.Collections.Generic.IReadOnlyList<string> {p.Member}Labels {{ get; }} = new string[]");
        w.Open("");
        foreach (var label in labels)
        {
            w.Line(Literals.String(label) + ",");
        }
        w.Close(";");
        w.Line();
        if (p.ValueType != "float")
        {
            return;
        }
        w.Line($"/// <summary>The <paramref name=\"k\"/> highest scores of {p.Member} with their labels, best first.</summary>");
        w.Line("/// <param name=\"k\">How many classes to return (capped at the number of scores).</param>");
        w.Line("/// <returns>The top classes, best first.</returns>");
        w.Open($"public Prediction[] {p.Member}TopK(int k)");
        w.Line("if (k < 0) throw new global::System.ArgumentOutOfRangeException(nameof(k));");
        w.Line($"var scores = {p.Member};");
        w.Line("if (k > scores.Length) k = scores.Length;");
        w.Line("var best = new Prediction[k];");
        w.Line("var count = 0;");
        w.Line("for (var i = 0; i < scores.Length; i++)");
        w.Open("");
        w.Line("var score = scores[i];");
        w.Line("if (count == k && (k == 0 || !(score > best[k - 1].Score))) continue;");
        w.Line("var at = count < k ? count++ : k - 1;");
        w.Line("while (at > 0 && score > best[at - 1].Score)");
        w.Open("");
        w.Line("best[at] = best[at - 1];");
        w.Line("at--;");
        w.Close();
        w.Line($"best[at] = new Prediction(i, i < {p.Member}Labels.Count ? {p.Member}Labels[i] : i.ToString(global::System.Globalization.CultureInfo.InvariantCulture), score);");
        w.Close();
        w.Line("return best;");
        w.Close();
        w.Line();
    }

    private void WritePrediction()
    {
        w.Line("/// <summary>One class of a classifier output: its index, label and score.</summary>");
        w.Open("public readonly struct Prediction");
        w.Line("/// <summary>Creates a prediction.</summary>");
        w.Line("/// <param name=\"index\">Class index.</param>");
        w.Line("/// <param name=\"label\">Class label.</param>");
        w.Line("/// <param name=\"score\">The model's score.</param>");
        w.Open("public Prediction(int index, string label, float score)");
        w.Line("Index = index;");
        w.Line("Label = label;");
        w.Line("Score = score;");
        w.Close();
        w.Line();
        w.Line("/// <summary>Class index in the output.</summary>");
        w.Line("public int Index { get; }");
        w.Line();
        w.Line("/// <summary>Class label.</summary>");
        w.Line("public string Label { get; }");
        w.Line();
        w.Line("/// <summary>The model's score for the class.</summary>");
        w.Line("public float Score { get; }");
        w.Line();
        w.Line("/// <summary>\"label (score)\".</summary>");
        w.Line("/// <returns>The text.</returns>");
        w.Line("public override string ToString() => Label + \" (\" + Score.ToString(\"G4\", global::System.Globalization.CultureInfo.InvariantCulture) + \")\";");
        w.Close();
        w.Line();
    }

    private void WriteModelInfo()
    {
        var original = card.Original;
        var optimized = card.Optimized;
        var metrics = card.Metrics;
        var budgets = card.Budgets;
        w.Line("/// <summary>What the build did to the model and measured, and the budgets it was held to.</summary>");
        w.Open("public static class ModelInfo");
        Const("string", "Name", Literals.String(card.Name), "The model's name (file name without extension).");
        Const("string", "Optimization", Literals.String(card.Optimization ?? "none"), "The optimization applied: none, float16, dynamic, int8 or int16x8.");
        Const("string", "Target", Literals.String(card.Target ?? "cpu"), "The hardware target the model was optimized for.");
        Const("string", "Deploy", Literals.String(card.Deploy), "How the model ships: copy, embed or none.");
        Prop("long?", "OriginalBytes", Literals.NullableLong(original?.Bytes), "Size of the original model file in bytes.");
        Prop("long?", "OriginalGzipBytes", Literals.NullableLong(original?.GzipBytes), "Gzip-compressed size of the original model.");
        Prop("string?", "OriginalSha256", Literals.String(original?.Sha256), "SHA-256 of the original model file.");
        Prop("long?", "OptimizedBytes", Literals.NullableLong(optimized?.Bytes), "Size of the optimized (deployed) model file in bytes.");
        Prop("long?", "OptimizedGzipBytes", Literals.NullableLong(optimized?.GzipBytes), "Gzip-compressed size of the optimized model (download size).");
        Prop("long?", "OptimizedBrotliBytes", Literals.NullableLong(optimized?.BrotliBytes), "Brotli-compressed size of the optimized model.");
        Prop("string?", "OptimizedSha256", Literals.String(optimized?.Sha256), "SHA-256 of the optimized model file.");
        Prop("int?", "EvaluationSamples", Literals.NullableInt(metrics?.Samples), "Samples the accuracy figures were measured on; null when nothing was measured.");
        Prop("double?", "MinCosine", Literals.NullableDouble(metrics?.MinCosine), "Lowest cosine similarity of an output against the original model.");
        Prop("double?", "MinSqnrDb", Literals.NullableDouble(metrics?.MinSqnrDb), "Lowest signal-to-quantization-noise ratio of an output, in dB.");
        Prop("double?", "AccuracyDrop", Literals.NullableDouble(metrics?.AccuracyDrop), "Absolute top-1 accuracy drop against the original (0..1), when labels were given.");
        Prop("double?", "ReferenceAccuracy", Literals.NullableDouble(metrics?.ReferenceAccuracy), "Top-1 accuracy of the original model.");
        Prop("double?", "CandidateAccuracy", Literals.NullableDouble(metrics?.CandidateAccuracy), "Top-1 accuracy of the optimized model.");
        Prop("long?", "MaxSizeBudget", Literals.NullableLong(budgets.MaxSize), "MaxSize budget in bytes.");
        Prop("long?", "MaxCompressedSizeBudget", Literals.NullableLong(budgets.MaxCompressedSize), "MaxCompressedSize budget in bytes.");
        Prop("double?", "MaxAccuracyDropBudget", Literals.NullableDouble(budgets.MaxAccuracyDrop), "MaxAccuracyDrop budget (absolute, 0..1).");
        Prop("double?", "MinCosineBudget", Literals.NullableDouble(budgets.MinCosine), "MinCosine budget.");
        Prop("double?", "MinSqnrDbBudget", Literals.NullableDouble(budgets.MinSqnrDb), "MinSqnr budget in dB.");
        Prop("double?", "MaxSizeGrowthBudget", Literals.NullableDouble(budgets.MaxSizeGrowth), "MaxSizeGrowth budget (fraction over the baseline).");
        Prop("long?", "BaselineBytes", Literals.NullableLong(budgets.BaselineBytes), "Model size recorded in the baseline file.");
        w.Close();
    }

    private void Const(string type, string name, string value, string doc)
    {
        w.Line($"/// <summary>{Literals.Xml(doc)}</summary>");
        w.Line($"public const {type} {name} = {value};");
        w.Line();
    }

    private void Prop(string type, string name, string value, string doc)
    {
        w.Line($"/// <summary>{Literals.Xml(doc)}</summary>");
        w.Line($"public static {type} {name} => {value};");
        w.Line();
    }

    private void WriteShapeConstants(TensorPlan p)
    {
        w.Line($"/// <summary>Element count of {p.Member}.</summary>");
        w.Line($"public const int {p.Member}Length = {Literals.Int(p.Length)};");
        w.Line();
        w.Line($"/// <summary>Shape of {p.Member}: {Literals.Dims(p.Spec.Shape)}.</summary>");
        w.Line($"public static global::System.ReadOnlySpan<int> {p.Member}Shape => {Literals.IntArray(p.Spec.Shape)};");
        w.Line();
        if (p.Conversion == Conversion.Affine)
        {
            var q = p.Spec.Quantization!;
            w.Line($"/// <summary>Quantization scale of {p.Member}: value = (stored - {p.Member}ZeroPoint) * {p.Member}Scale.</summary>");
            w.Line($"public const float {p.Member}Scale = {Literals.Float(q.Scale[0])};");
            w.Line();
            w.Line($"/// <summary>Quantization zero point of {p.Member}.</summary>");
            w.Line($"public const int {p.Member}ZeroPoint = {Literals.Int(q.FirstZeroPoint)};");
            w.Line();
        }
    }

    private void CheckLength(string parameter, TensorPlan p)
    {
        var owner = "Inputs";
        w.Line($"if ({parameter}.Length != {owner}.{p.Member}Length)");
        w.Line($"    throw new global::System.ArgumentException(\"{p.Member} takes \" + {owner}.{p.Member}Length + \" values, got \" + {parameter}.Length + \".\", nameof({parameter}));");
    }

    /// <summary>Expression converting a user value to the stored type (quantizing like TFLite: round half away from zero, saturate).</summary>
    private static string Store(TensorPlan p, string value)
    {
        switch (p.Conversion)
        {
            case Conversion.Half:
                return $"(global::System.Half){value}";
            case Conversion.Affine:
                return $"({p.StoredType})global::System.Math.Clamp(global::System.MathF.Round({value} / Inputs.{p.Member}Scale, global::System.MidpointRounding.AwayFromZero) + Inputs.{p.Member}ZeroPoint, {Literals.Float(p.Min)}, {Literals.Float(p.Max)})";
            default:
                return p.StoredType == "float" ? value : $"({p.StoredType}){value}";
        }
    }

    private static string Load(TensorPlan p, string stored) => p.Conversion switch
    {
        Conversion.Half => $"(float){stored}",
        Conversion.Affine => $"({stored} - Outputs.{p.Member}ZeroPoint) * Outputs.{p.Member}Scale",
        _ => stored,
    };

    private static string ConversionNote(TensorPlan p, bool isInput) => p.Conversion switch
    {
        Conversion.Affine => isInput
            ? $", quantized to {p.Spec.Type} with scale {p.Member}Scale and zero point {p.Member}ZeroPoint"
            : $", dequantized from {p.Spec.Type}",
        Conversion.Half => isInput ? ", rounded to float16" : ", widened from float16",
        _ => "",
    };

    /// <summary>"<c>input_1</c> float32 [1,256,256,3]" plus signature name, dynamic shape and quantization.</summary>
    private static string Describe(TensorPlan p)
    {
        var s = p.Spec;
        var text = $"<c>{Literals.Xml(s.Name)}</c>";
        if (s.SignatureName is { Length: > 0 } sig && sig != s.Name)
        {
            text += $" (signature name <c>{Literals.Xml(sig)}</c>)";
        }
        text += $", {Literals.Xml(s.Type)} {Literals.Dims(s.Shape)}";
        if (s.ShapeSignature is { } dyn && p.IsDynamic)
        {
            text += $" (dynamic shape {Literals.Dims(dyn)}; the wrapper uses the static shape)";
        }
        if (s.Quantization is { } q)
        {
            text += q.IsPerTensor
                ? $", quantized (scale {Literals.Number(q.Scale[0])}, zero point {q.FirstZeroPoint.ToString(CultureInfo.InvariantCulture)})"
                : $", quantized per channel along dimension {q.Dimension.ToString(CultureInfo.InvariantCulture)}";
        }
        if (s.Content is { Length: > 0 } content)
        {
            text += $", content: {Literals.Xml(content)}";
        }
        return text;
    }

    private string MetricsNote(TensorPlan p)
    {
        if (card.Metrics is not { } metrics)
        {
            return "";
        }
        foreach (var m in metrics.Outputs)
        {
            if (m.Name == p.Spec.Name || m.Name == p.Spec.SignatureName)
            {
                var parts = new List<string>();
                if (m.Cosine is { } c) parts.Add("cosine " + Literals.Number(c));
                if (m.SqnrDb is { } q) parts.Add("SQNR " + Literals.Number(q) + " dB");
                if (m.MaxAbsError is { } e) parts.Add("max abs error " + Literals.Number(e));
                if (m.Top1Agreement is { } t) parts.Add("top-1 agreement " + Literals.Number(t));
                return parts.Count == 0 ? "" : " Measured against the original: " + string.Join(", ", parts) + ".";
            }
        }
        return "";
    }

    /// <summary>One signature's typed surface: the plans of its tensors and, except for the default one, its names.</summary>
    private sealed class SignaturePlan
    {
        public SignaturePlan(SignatureSpec spec)
        {
            Spec = spec;
        }

        public SignatureSpec Spec { get; }

        public List<TensorPlan> Inputs { get; } = new();

        public List<TensorPlan> Outputs { get; } = new();

        /// <summary>Tensors without a typed form, described for the docs.</summary>
        public List<string> Skipped { get; } = new();

        /// <summary>The wrapper's property opening this signature ("" for the default signature).</summary>
        public string Member { get; set; } = "";

        /// <summary>The nested class of this signature.</summary>
        public string TypeName => Member + "Signature";

        /// <summary>The wrapper's field holding the signature's instance once created.</summary>
        public string Field { get; set; } = "";
    }
}
