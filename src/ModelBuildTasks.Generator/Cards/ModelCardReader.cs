using System;
using System.Collections.Generic;
using ModelBuildTasks.Generator.Json;

namespace ModelBuildTasks.Generator.Cards;

/// <summary>
/// Reads a model card (docs/model-card.md). Unknown properties are ignored (newer writers may add fields);
/// a wrong type or a missing required field is an error naming the JSON path, never an exception.
/// </summary>
internal static class ModelCardReader
{
    /// <summary>The card format this reader understands; a higher <c>formatVersion</c> is refused.</summary>
    public const int SupportedFormatVersion = 1;

    public static CardReadResult Read(string path, string? text)
    {
        if (text is null)
        {
            return CardReadResult.Failed(path, "the model card is missing or cannot be read");
        }
        try
        {
            var root = JsonParser.Parse(text);
            if (root.Kind != JsonKind.Object)
            {
                return CardReadResult.Failed(path, "the model card is not a JSON object");
            }
            var format = RequiredInt(root, "formatVersion", "formatVersion");
            if (format > SupportedFormatVersion)
            {
                return CardReadResult.Failed(
                    path,
                    $"the model card has formatVersion {format}, newer than the {SupportedFormatVersion} this generator reads; update the ModelBuildTasks package so the generator matches the task",
                    newer: true);
            }
            if (format < 1)
            {
                return CardReadResult.Failed(path, $"formatVersion {format} is not valid");
            }
            return new CardReadResult(path, ReadCard(root, format), null, false);
        }
        catch (JsonParseException e)
        {
            return CardReadResult.Failed(path, e.Message);
        }
        catch (CardFormatException e)
        {
            return CardReadResult.Failed(path, e.Message);
        }
    }

    private static ModelCard ReadCard(JsonValue root, int format)
    {
        var item = root["item"];
        var location = new ItemLocation(
            OptionalString(item, "include", "item.include"),
            OptionalString(item, "projectFile", "item.projectFile"),
            OptionalInt(item, "line", "item.line") ?? 0,
            OptionalInt(item, "column", "item.column") ?? 0);
        var signatures = new List<SignatureSpec>();
        var sigArray = OptionalArray(root, "signatures", "signatures");
        for (var i = 0; i < sigArray.Count; i++)
        {
            signatures.Add(ReadSignature(sigArray[i], $"signatures[{i}]"));
        }
        return new ModelCard(
            format,
            OptionalString(root, "toolVersion", "toolVersion"),
            location,
            RequiredString(root, "name", "name"),
            OptionalString(root, "className", "className"),
            OptionalString(root, "namespace", "namespace"),
            OptionalBool(root, "generateWrapper", "generateWrapper") ?? true,
            OptionalString(root, "deploy", "deploy") ?? "copy",
            OptionalString(root, "deployedFile", "deployedFile"),
            OptionalString(root, "resourceName", "resourceName"),
            OptionalString(root, "optimization", "optimization"),
            OptionalString(root, "target", "target"),
            ReadFigures(root["original"], "original"),
            ReadFigures(root["optimized"], "optimized"),
            new EquatableArray<SignatureSpec>(signatures.ToArray()),
            ReadMetrics(root["metrics"]),
            ReadBudgets(root["budgets"]),
            ReadMetadata(root["tfliteMetadata"]));
    }

    private static SignatureSpec ReadSignature(JsonValue value, string path)
    {
        RequireObject(value, path);
        return new SignatureSpec(
            OptionalString(value, "key", path + ".key") ?? "main",
            OptionalInt(value, "subgraph", path + ".subgraph") ?? 0,
            ReadTensors(value, "inputs", path),
            ReadTensors(value, "outputs", path));
    }

    private static EquatableArray<TensorSpec> ReadTensors(JsonValue signature, string name, string path)
    {
        var array = OptionalArray(signature, name, $"{path}.{name}");
        var tensors = new TensorSpec[array.Count];
        for (var i = 0; i < array.Count; i++)
        {
            tensors[i] = ReadTensor(array[i], $"{path}.{name}[{i}]");
        }
        return new EquatableArray<TensorSpec>(tensors);
    }

    private static TensorSpec ReadTensor(JsonValue value, string path)
    {
        RequireObject(value, path);
        var shape = IntArray(value["shape"], path + ".shape") ?? throw Missing(path + ".shape");
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new CardFormatException($"'{path}.shape' has a negative dimension; dynamic dimensions belong in shapeSignature");
            }
        }
        var signature = IntArray(value["shapeSignature"], path + ".shapeSignature");
        if (signature is { } sig && sig.Count != shape.Count)
        {
            throw new CardFormatException($"'{path}.shapeSignature' has {sig.Count} dimensions but shape has {shape.Count}");
        }
        EquatableArray<string>? labels = null;
        var labelArray = value["labels"];
        if (labelArray.Kind == JsonKind.Array)
        {
            var list = new string[labelArray.Items!.Count];
            for (var i = 0; i < list.Length; i++)
            {
                list[i] = labelArray.Items[i].String ?? throw WrongType($"{path}.labels[{i}]", "a string");
            }
            labels = new EquatableArray<string>(list);
        }
        else if (labelArray.Kind != JsonKind.Null)
        {
            throw WrongType(path + ".labels", "an array of strings");
        }
        return new TensorSpec(
            RequiredString(value, "name", path + ".name"),
            OptionalString(value, "signatureName", path + ".signatureName"),
            OptionalInt(value, "index", path + ".index") ?? -1,
            (RequiredString(value, "type", path + ".type")).ToLowerInvariant(),
            shape,
            signature,
            ReadQuantization(value["quantization"], path + ".quantization"),
            ReadNormalization(value["normalization"], path + ".normalization"),
            labels,
            OptionalString(value, "content", path + ".content"));
    }

    private static QuantizationSpec? ReadQuantization(JsonValue value, string path)
    {
        if (value.Kind == JsonKind.Null)
        {
            return null;
        }
        RequireObject(value, path);
        var scale = DoubleArray(value["scale"], path + ".scale") ?? EquatableArray<double>.Empty;
        var zero = LongArray(value["zeroPoint"], path + ".zeroPoint") ?? EquatableArray<long>.Empty;
        if (scale.Count == 0)
        {
            return null; // an empty quantization block means "not quantized"
        }
        if (zero.Count != 0 && zero.Count != scale.Count)
        {
            throw new CardFormatException($"'{path}' has {scale.Count} scales but {zero.Count} zero points");
        }
        return new QuantizationSpec(scale, zero, OptionalInt(value, "dimension", path + ".dimension") ?? 0);
    }

    private static NormalizationSpec? ReadNormalization(JsonValue value, string path)
    {
        if (value.Kind == JsonKind.Null)
        {
            return null;
        }
        RequireObject(value, path);
        var mean = DoubleArray(value["mean"], path + ".mean") ?? throw Missing(path + ".mean");
        var std = DoubleArray(value["std"], path + ".std") ?? throw Missing(path + ".std");
        if (mean.Count == 0 || std.Count == 0)
        {
            throw new CardFormatException($"'{path}' needs at least one mean and one std");
        }
        foreach (var s in std)
        {
            if (s == 0)
            {
                throw new CardFormatException($"'{path}.std' contains 0");
            }
        }
        return new NormalizationSpec(mean, std);
    }

    private static FileFigures? ReadFigures(JsonValue value, string path)
    {
        if (value.Kind == JsonKind.Null)
        {
            return null;
        }
        RequireObject(value, path);
        return new FileFigures(
            OptionalLong(value, "bytes", path + ".bytes"),
            OptionalLong(value, "gzipBytes", path + ".gzipBytes"),
            OptionalLong(value, "brotliBytes", path + ".brotliBytes"),
            OptionalString(value, "sha256", path + ".sha256"));
    }

    private static MetricsSpec? ReadMetrics(JsonValue value)
    {
        if (value.Kind == JsonKind.Null)
        {
            return null;
        }
        RequireObject(value, "metrics");
        var outputs = OptionalArray(value, "outputs", "metrics.outputs");
        var list = new OutputMetrics[outputs.Count];
        for (var i = 0; i < list.Length; i++)
        {
            var o = outputs[i];
            var path = $"metrics.outputs[{i}]";
            RequireObject(o, path);
            list[i] = new OutputMetrics(
                RequiredString(o, "name", path + ".name"),
                OptionalDouble(o, "cosine", path + ".cosine"),
                OptionalDouble(o, "sqnrDb", path + ".sqnrDb"),
                OptionalDouble(o, "mse", path + ".mse"),
                OptionalDouble(o, "maxAbsError", path + ".maxAbsError"),
                OptionalDouble(o, "top1Agreement", path + ".top1Agreement"));
        }
        return new MetricsSpec(
            OptionalInt(value, "samples", "metrics.samples"),
            OptionalDouble(value, "minCosine", "metrics.minCosine"),
            OptionalDouble(value, "minSqnrDb", "metrics.minSqnrDb"),
            OptionalDouble(value, "accuracyDrop", "metrics.accuracyDrop"),
            OptionalDouble(value, "referenceAccuracy", "metrics.referenceAccuracy"),
            OptionalDouble(value, "candidateAccuracy", "metrics.candidateAccuracy"),
            new EquatableArray<OutputMetrics>(list));
    }

    private static BudgetSpec ReadBudgets(JsonValue value)
    {
        if (value.Kind == JsonKind.Null)
        {
            return BudgetSpec.None;
        }
        RequireObject(value, "budgets");
        var severity = OptionalString(value, "severity", "budgets.severity") ?? "error";
        if (!string.Equals(severity, "error", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(severity, "warning", StringComparison.OrdinalIgnoreCase))
        {
            throw new CardFormatException($"'budgets.severity' is '{severity}'; expected error or warning");
        }
        return new BudgetSpec(
            OptionalLong(value, "maxSize", "budgets.maxSize"),
            OptionalLong(value, "maxCompressedSize", "budgets.maxCompressedSize"),
            OptionalDouble(value, "maxAccuracyDrop", "budgets.maxAccuracyDrop"),
            OptionalDouble(value, "minCosine", "budgets.minCosine"),
            OptionalDouble(value, "minSqnrDb", "budgets.minSqnrDb"),
            OptionalLong(value, "baselineBytes", "budgets.baselineBytes"),
            OptionalDouble(value, "maxSizeGrowth", "budgets.maxSizeGrowth"),
            severity.ToLowerInvariant());
    }

    private static TfliteMetadataSpec? ReadMetadata(JsonValue value)
    {
        if (value.Kind == JsonKind.Null)
        {
            return null;
        }
        RequireObject(value, "tfliteMetadata");
        return new TfliteMetadataSpec(
            OptionalString(value, "name", "tfliteMetadata.name"),
            OptionalString(value, "description", "tfliteMetadata.description"),
            OptionalString(value, "version", "tfliteMetadata.version"),
            OptionalString(value, "author", "tfliteMetadata.author"),
            OptionalString(value, "license", "tfliteMetadata.license"));
    }

    private static void RequireObject(JsonValue value, string path)
    {
        if (value.Kind != JsonKind.Object)
        {
            throw WrongType(path, "an object");
        }
    }

    private static List<JsonValue> OptionalArray(JsonValue owner, string name, string path)
    {
        var value = owner[name];
        return value.Kind switch
        {
            JsonKind.Null => new List<JsonValue>(),
            JsonKind.Array => value.Items!,
            _ => throw WrongType(path, "an array"),
        };
    }

    private static string RequiredString(JsonValue owner, string name, string path) =>
        OptionalString(owner, name, path) ?? throw Missing(path);

    private static string? OptionalString(JsonValue owner, string name, string path)
    {
        var value = owner[name];
        return value.Kind switch
        {
            JsonKind.Null => null,
            JsonKind.String => value.String,
            _ => throw WrongType(path, "a string"),
        };
    }

    private static bool? OptionalBool(JsonValue owner, string name, string path)
    {
        var value = owner[name];
        return value.Kind switch
        {
            JsonKind.Null => null,
            JsonKind.Bool => value.Bool,
            _ => throw WrongType(path, "true or false"),
        };
    }

    private static double? OptionalDouble(JsonValue owner, string name, string path)
    {
        var value = owner[name];
        return value.Kind switch
        {
            JsonKind.Null => null,
            JsonKind.Number => value.Number,
            _ => throw WrongType(path, "a number"),
        };
    }

    private static long? OptionalLong(JsonValue owner, string name, string path) =>
        OptionalDouble(owner, name, path) is { } d ? ToLong(d, path) : null;

    private static int RequiredInt(JsonValue owner, string name, string path) =>
        OptionalInt(owner, name, path) ?? throw Missing(path);

    private static int? OptionalInt(JsonValue owner, string name, string path) =>
        OptionalDouble(owner, name, path) is { } d ? ToInt(d, path) : null;

    private static EquatableArray<int>? IntArray(JsonValue value, string path)
    {
        if (value.Kind == JsonKind.Null)
        {
            return null;
        }
        if (value.Kind != JsonKind.Array)
        {
            throw WrongType(path, "an array of integers");
        }
        var result = new int[value.Items!.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var item = value.Items[i];
            result[i] = item.Kind == JsonKind.Number ? ToInt(item.Number, $"{path}[{i}]") : throw WrongType($"{path}[{i}]", "an integer");
        }
        return new EquatableArray<int>(result);
    }

    private static EquatableArray<long>? LongArray(JsonValue value, string path)
    {
        if (value.Kind == JsonKind.Null)
        {
            return null;
        }
        if (value.Kind != JsonKind.Array)
        {
            throw WrongType(path, "an array of integers");
        }
        var result = new long[value.Items!.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var item = value.Items[i];
            result[i] = item.Kind == JsonKind.Number ? ToLong(item.Number, $"{path}[{i}]") : throw WrongType($"{path}[{i}]", "an integer");
        }
        return new EquatableArray<long>(result);
    }

    private static EquatableArray<double>? DoubleArray(JsonValue value, string path)
    {
        if (value.Kind == JsonKind.Null)
        {
            return null;
        }
        if (value.Kind != JsonKind.Array)
        {
            throw WrongType(path, "an array of numbers");
        }
        var result = new double[value.Items!.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var item = value.Items[i];
            result[i] = item.Kind == JsonKind.Number ? item.Number : throw WrongType($"{path}[{i}]", "a number");
        }
        return new EquatableArray<double>(result);
    }

    private static int ToInt(double d, string path) =>
        d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue ? (int)d : throw WrongType(path, "a 32-bit integer");

    private static long ToLong(double d, string path) =>
        d == Math.Floor(d) && Math.Abs(d) <= 9007199254740992d ? (long)d : throw WrongType(path, "an integer");

    private static CardFormatException Missing(string path) => new($"'{path}' is missing");

    private static CardFormatException WrongType(string path, string expected) => new($"'{path}' must be {expected}");

    private sealed class CardFormatException : Exception
    {
        public CardFormatException(string message)
            : base(message)
        {
        }
    }
}
