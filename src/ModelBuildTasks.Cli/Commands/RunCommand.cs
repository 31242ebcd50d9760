using System.CommandLine;
using System.Text;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.Runtime;
using ModelBuildTasks.Runtime.Npy;

namespace ModelBuildTasks.Cli.Commands;

/// <summary>
/// `mbt run MODEL [--signature KEY] --input NAME=FILE.npy … --output-dir DIR`: runs a model (or one of its signatures)
/// once in the managed runtime and writes each output as DIR/&lt;name&gt;.npy (characters other than letters, digits,
/// '_', '-', '.' become '_'). With a signature, inputs and outputs go by the signature's names.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .tflite file to run." };
        var inputs = new Option<string[]>("--input", "-i")
        {
            Description = "An input as NAME=FILE.npy (repeat for each input; a model with one input also takes FILE.npy).",
            AllowMultipleArgumentsPerToken = false,
            Arity = ArgumentArity.OneOrMore,
            Required = true,
        };
        var outputDir = new Option<DirectoryInfo>("--output-dir", "-o") { Description = "Folder for the outputs (created if missing).", Required = true };
        var threads = new Option<int>("--threads") { Description = "Threads for the run (default 1).", DefaultValueFactory = _ => 1 };
        var signature = new Option<string?>("--signature", "-s") { Description = "The signature to run, by key (default: the main subgraph; `mbt inspect` lists the keys)." };
        var command = new Command("run", "Run a model once on .npy inputs and write its outputs as .npy files.")
        {
            model, inputs, outputDir, threads, signature,
        };
        command.SetAction(parse => CommandErrors.Guard(error, () =>
        {
            var path = parse.GetValue(model)!.FullName;
            using var session = ModelSession.Load(path, new SessionOptions
            {
                Threads = Math.Max(1, parse.GetValue(threads)),
                Signature = parse.GetValue(signature),
            });
            FillInputs(session, parse.GetValue(inputs) ?? []);
            session.Run();

            var dir = parse.GetValue(outputDir)!.FullName;
            Directory.CreateDirectory(dir);
            var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < session.Outputs.Count; i++)
            {
                var d = session.Outputs[i];
                var file = Path.Combine(dir, UniqueFileName(NameOf(d), used));
                new NpyArray(d.Type, d.Shape.ToArray(), session.GetOutputBytes(i).ToArray()).WriteFile(file);
                output.WriteLine($"{NameOf(d)} {TensorTypes.Name(d.Type)}[{string.Join(",", d.Shape.ToArray())}] -> {file}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The name users address a tensor by: the signature's when running one, else the tensor's.</summary>
    private static string NameOf(TensorDescriptor d) => d.SignatureName ?? d.Name;

    /// <summary>The output file name: letters, digits, '_', '-', '.' kept, anything else '_'; de-duplicated.</summary>
    internal static string UniqueFileName(string tensorName, HashSet<string> used)
    {
        var b = new StringBuilder(tensorName.Length);
        foreach (var c in tensorName)
        {
            b.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_');
        }
        var stem = b.Length == 0 || b.ToString() is "." or ".." ? "output" : b.ToString();
        var name = stem;
        for (var k = 2; !used.Add(name); k++)
        {
            name = $"{stem}_{k}";
        }
        return name + ".npy";
    }

    private static void FillInputs(ModelSession session, string[] specs)
    {
        var filled = new bool[session.Inputs.Count];
        foreach (var spec in specs)
        {
            var eq = spec.IndexOf('=', StringComparison.Ordinal);
            string file;
            int index;
            if (eq < 0 && session.Inputs.Count == 1)
            {
                (index, file) = (0, spec);
            }
            else if (eq <= 0)
            {
                throw new ModelRuntimeException(RuntimeErrorCodes.UnknownTensor,
                    $"'--input {spec}' must be NAME=FILE.npy; inputs: {string.Join(", ", session.Inputs.Select(NameOf))}");
            }
            else
            {
                var name = spec[..eq];
                file = spec[(eq + 1)..];
                index = session.Model.FindInput(name);
                if (index < 0)
                {
                    throw new ModelRuntimeException(RuntimeErrorCodes.UnknownTensor,
                        $"the model has no input '{name}'; inputs: {string.Join(", ", session.Inputs.Select(NameOf))}");
                }
            }
            var array = NpyArray.ReadFile(Path.GetFullPath(file));
            var d = session.Inputs[index];
            if (array.Type != d.Type)
            {
                throw new ModelFormatException(RuntimeErrorCodes.InvalidNpyFile,
                    $"input '{NameOf(d)}' is {TensorTypes.Name(d.Type)}; the file holds {TensorTypes.Name(array.Type)}", Path.GetFullPath(file));
            }
            if (!SameShapeIgnoringOnes(array.Shape, d.Shape))
            {
                throw new ModelFormatException(RuntimeErrorCodes.InvalidNpyFile,
                    $"input '{NameOf(d)}' has shape [{string.Join(",", d.Shape.ToArray())}]; the file holds [{string.Join(",", array.Shape)}]",
                    Path.GetFullPath(file));
            }
            array.Data.CopyTo(session.GetInputBytes(index));
            filled[index] = true;
        }
        var missing = session.Inputs.Where((_, i) => !filled[i]).Select(NameOf).ToList();
        if (missing.Count > 0)
        {
            throw new ModelRuntimeException(RuntimeErrorCodes.UnknownTensor, $"no file given for input(s) {string.Join(", ", missing)}");
        }
    }

    /// <summary>[1,224,224,3] and [224,224,3] hold the same data: size-1 dimensions do not matter.</summary>
    private static bool SameShapeIgnoringOnes(int[] a, ReadOnlySpan<int> b)
    {
        var x = a.Where(d => d != 1).ToArray();
        var y = b.ToArray().Where(d => d != 1).ToArray();
        return x.AsSpan().SequenceEqual(y);
    }
}
