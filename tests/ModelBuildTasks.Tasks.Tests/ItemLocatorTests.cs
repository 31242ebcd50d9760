using ModelBuildTasks.Tasks.Locations;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Tasks.Tests;

[TestClass]
public sealed class ItemLocatorTests
{
    private const string Project = """
        <Project Sdk="Microsoft.NET.Sdk">
          <ItemGroup>
            <ModelItem Include="models/a.tflite" />
              <ModelItem Include=".\models\b.tflite"
                         MaxSize="2MB" />
            <ModelItem Include="c.tflite;d.tflite" />
          </ItemGroup>
        </Project>
        """;

    [TestMethod]
    public void FindsTheElementLineAndColumnOfEachItem()
    {
        using var temp = new TempFolder();
        var file = temp.File("App.csproj", Project);
        var locator = new ItemLocator();
        Assert.AreEqual(new ItemLocation(file, 3, 5), locator.Locate(file, "models/a.tflite"));
        Assert.AreEqual(new ItemLocation(file, 4, 7), locator.Locate(file, "models/b.tflite"));
        Assert.AreEqual(new ItemLocation(file, 6, 5), locator.Locate(file, "d.tflite"));
    }

    [TestMethod]
    public void UnknownItemsAndUnreadableFilesGiveTheFileWithoutALine()
    {
        using var temp = new TempFolder();
        var file = temp.File("App.csproj", Project);
        Assert.AreEqual(new ItemLocation(file, 0, 0), new ItemLocator().Locate(file, "other.tflite"));
        var broken = temp.File("Broken.props", "<Project><ModelItem Include=\"x.tflite\"");
        Assert.AreEqual(new ItemLocation(broken, 0, 0), new ItemLocator().Locate(broken, "x.tflite"));
    }

    [TestMethod]
    public void ALoneWildcardElementIsTheLocationOfItsItems()
    {
        using var temp = new TempFolder();
        var file = temp.File("Models.props", "<Project>\n  <ItemGroup>\n    <ModelItem Include=\"models/*.tflite\" />\n  </ItemGroup>\n</Project>");
        Assert.AreEqual(new ItemLocation(file, 3, 5), new ItemLocator().Locate(file, "models/pose.tflite"));
    }
}
