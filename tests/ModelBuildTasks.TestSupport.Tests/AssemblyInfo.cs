// Classes run two at a time (the machine has 2 cores); the corpus and oracle installs are cross-thread safe.
[assembly: Microsoft.VisualStudio.TestTools.UnitTesting.Parallelize(Workers = 2, Scope = Microsoft.VisualStudio.TestTools.UnitTesting.ExecutionScope.ClassLevel)]
