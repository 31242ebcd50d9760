using ModelBuildTasks.Model.Schema;

namespace ModelBuildTasks.Runtime.Kernels.Quantized;

/// <summary>
/// The integer kernels (int8, uint8, int16) and the hybrid float kernels with int8 weights. Registered after the
/// float32 ones, so entries here replace a type-agnostic kernel where integer data needs its own arithmetic.
/// </summary>
internal static class Registrations
{
    private static readonly TensorType[] Int8And16 = [TensorType.INT8, TensorType.UINT8, TensorType.INT16];

    public static void Register(KernelRegistry r)
    {
        r.Add(BuiltinOperator.CONV_2D, Int8And16, Conv2D.Create);
        r.Add(BuiltinOperator.FULLY_CONNECTED, Int8And16, FullyConnected.Create);
    }
}
