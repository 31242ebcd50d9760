// Runs the build-optimized hand landmark model through its generated wrapper on a generated image, and compares it
// with the original model loaded from models/ through the same wrapper.
using System.Diagnostics;
using System.Globalization;
using HandLandmarks;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var image = SyntheticHand(HandLandmarkLite.Inputs.Input1Shape[1], HandLandmarkLite.Inputs.Input1Shape[2]);
var inputs = new HandLandmarkLite.Inputs { Input1 = image };

// The optimized model: obj/…/models/hand_landmark_lite.tflite, copied next to the app by the build.
using var optimized = HandLandmarkLite.Create();
var clock = Stopwatch.StartNew();
var result = optimized.Predict(in inputs);
var elapsed = clock.Elapsed;

// The original, for comparison.
using var original = HandLandmarkLite.FromFile(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "models", "hand_landmark_lite.tflite"));
var reference = original.Predict(in inputs);

var optimizedBytes = new FileInfo(Path.Combine(AppContext.BaseDirectory, HandLandmarkLite.ModelFile)).Length;
Console.WriteLine($"optimized model: {HandLandmarkLite.ModelFile}, {optimizedBytes / 1e6:0.00} MB, ran in {elapsed.TotalMilliseconds:0.0} ms");
Console.WriteLine($"hand presence {result.Identity1[0]:0.0000} (original {reference.Identity1[0]:0.0000}), " +
                  $"handedness {result.Identity2[0]:0.0000} (original {reference.Identity2[0]:0.0000})");
Console.WriteLine("first landmarks (x, y, z in input pixels):");
for (var i = 0; i < 5; i++)
{
    Console.WriteLine($"  {i,2}: ({result.Identity[3 * i],7:0.00}, {result.Identity[3 * i + 1],7:0.00}, {result.Identity[3 * i + 2],7:0.00})" +
                      $"   original ({reference.Identity[3 * i],7:0.00}, {reference.Identity[3 * i + 1],7:0.00}, {reference.Identity[3 * i + 2],7:0.00})");
}

var worst = 0f;
for (var i = 0; i < result.Identity.Length; i++)
{
    worst = Math.Max(worst, Math.Abs(result.Identity[i] - reference.Identity[i]));
}

Console.WriteLine($"largest landmark difference to the original: {worst:0.000} px over {result.Identity.Length / 3} landmarks");

// A skin-toned blob with five finger-like bars on a dark background, values in [0, 1] as the model expects.
static float[] SyntheticHand(int height, int width)
{
    var pixels = new float[height * width * 3];
    for (var y = 0; y < height; y++)
    {
        for (var x = 0; x < width; x++)
        {
            var palm = Math.Pow((x - width * 0.5) / (width * 0.22), 2) + Math.Pow((y - height * 0.65) / (height * 0.2), 2) < 1;
            var finger = y > height * 0.15 && y < height * 0.55 && Math.Abs((x - width * 0.3) % (width * 0.1) - width * 0.05) < width * 0.025
                         && x > width * 0.28 && x < width * 0.72;
            var skin = palm || finger;
            var o = (y * width + x) * 3;
            pixels[o] = skin ? 0.87f : 0.08f;
            pixels[o + 1] = skin ? 0.67f : 0.1f;
            pixels[o + 2] = skin ? 0.55f : 0.12f;
        }
    }

    return pixels;
}
