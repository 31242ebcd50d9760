namespace ModelBuildTasks.Model;

/// <summary>
/// A subgraph: its tensors (in file order), graph inputs and outputs, and operators in execution order.
/// </summary>
public sealed class Subgraph
{
    public string? Name { get; set; }

    public List<Tensor> Tensors { get; } = [];

    public List<Tensor> Inputs { get; } = [];

    public List<Tensor> Outputs { get; } = [];

    public List<Operator> Operators { get; } = [];

    public int DebugMetadataIndex { get; set; } = -1;

    /// <summary>Adds a new tensor to this subgraph and returns it.</summary>
    public Tensor AddTensor(Tensor tensor)
    {
        Tensors.Add(tensor);
        return tensor;
    }

    /// <summary>Tensor by name (first match), or null.</summary>
    public Tensor? FindTensor(string name) => Tensors.Find(t => t.Name == name);

    public override string ToString() => $"subgraph '{Name}' ({Operators.Count} ops, {Tensors.Count} tensors)";
}
