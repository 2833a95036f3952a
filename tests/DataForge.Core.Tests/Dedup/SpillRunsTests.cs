using DataForge.Dedup;

namespace DataForge.Tests.Dedup;

public class SpillRunsTests
{
    [Fact]
    public void Runs_written_under_a_small_budget_merge_back_in_sorted_order()
    {
        using var dir = new TempDir();
        var rng = new Random(3);
        var all = new List<KeyLoc>[4];
        for (int b = 0; b < 4; b++) all[b] = [];
        for (int p = 0; p < 3; p++)
        {
            // A budget of 1024 records forces many runs per partition.
            var w = new RunWriter<KeyLoc>(dir.Path, "t", p, 4, budgetBytes: 1024 * 16);
            for (int i = 0; i < 5000; i++)
            {
                var rec = new KeyLoc((ulong)rng.Next(2000), DocLoc.Pack(p, i));
                int bucket = (int)(rec.Key % 4);
                w.Add(bucket, rec);
                all[bucket].Add(rec);
            }
            w.Complete(5000);
        }
        var manifests = PartitionManifest.ReadAll(dir.Path, "t", 3);
        Assert.All(manifests, m => Assert.True(m.Runs >= 4));
        Assert.Equal([0L, 5000, 10000, 15000], PartitionManifest.Offsets(manifests));
        for (int b = 0; b < 4; b++)
        {
            var merged = new List<KeyLoc>();
            using (var m = new RunMerger<KeyLoc>(PartitionManifest.RunFiles(dir.Path, "t", b, manifests), bufferBytes: 256))
                while (m.Next(out var r)) merged.Add(r);
            all[b].Sort();
            Assert.Equal(all[b].Select(r => (r.Key, r.Loc)), merged.Select(r => (r.Key, r.Loc)));
        }
        // A restarted partition replaces what the earlier attempt left.
        var again = new RunWriter<KeyLoc>(dir.Path, "t", 1, 4);
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "t-*-p00001-*"));
        again.Add(0, new KeyLoc(1, 1));
        again.Complete(1);
        Assert.Equal(1, PartitionManifest.ReadAll(dir.Path, "t", 3)[1].Runs);
    }

    [Fact]
    public void Union_find_roots_are_the_smallest_member()
    {
        var uf = new UnionFind(10);
        Assert.True(uf.Union(7, 3));
        Assert.True(uf.Union(9, 7));
        Assert.True(uf.Union(5, 9));
        Assert.False(uf.Union(3, 5));
        Assert.True(uf.Union(8, 1));
        Assert.Equal([0, 1, 2, 3, 4, 3, 6, 3, 1, 3], Enumerable.Range(0, 10).Select(uf.Find));
    }
}
