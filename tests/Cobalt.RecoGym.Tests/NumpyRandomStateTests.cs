using Cobalt.Core.Randomness;
using Cobalt.RecoGym.Environment;

namespace Cobalt.RecoGym.Tests;

/// <summary>
/// numpy's legacy RandomState, draw for draw. Every constant below was printed by numpy 1.24.2 (Debian's
/// python3-numpy) with <c>/usr/bin/python3 tests/Cobalt.RecoGym.Tests/numpy_constants.py</c>; the script ships
/// next to this file and prints one line per test.
/// </summary>
public class NumpyRandomStateTests
{
    [Fact]
    public void Raw32BitWordsMatchNumpy()
    {
        // u32: RandomState(100).randint(0, 2**32, size=3, dtype=np.uint64)
        var r = new NumpyRandomState(100);
        Assert.Equal(2333906440u, r.NextUInt32());
        Assert.Equal(2882591512u, r.NextUInt32());
        Assert.Equal(1195587395u, r.NextUInt32());
    }

    [Fact]
    public void RandomSampleMatchesNumpy()
    {
        // rs: RandomState(100).random_sample(3)
        var r = new NumpyRandomState(100);
        Assert.Equal(0.5434049417909654, r.RandomSample());
        Assert.Equal(0.27836938509379616, r.RandomSample());
        Assert.Equal(0.4245175907491331, r.RandomSample());
    }

    [Fact]
    public void GaussKeepsItsSecondValueAcrossOtherDraws()
    {
        // mix: RandomState(12345): normal(size=3), random_sample(), normal(0, 2.0), randn()
        var r = new NumpyRandomState(12345);
        Assert.Equal(-0.20470765948471295, r.Gauss());
        Assert.Equal(0.47894333805754824, r.Gauss());
        Assert.Equal(-0.5194387150567381, r.Gauss());
        Assert.Equal(0.5677250290816866, r.RandomSample());
        Assert.Equal(-1.11146060869498, r.Normal(0, 2.0));
        Assert.Equal(0.4505544213927303, r.Gauss());
    }

    [Fact]
    public void RandIntAndUniformChoiceMatchNumpy()
    {
        // randint: RandomState(7).randint(0, 100, size=6), then choice(100), choice(3)
        var r = new NumpyRandomState(7);
        Assert.Equal(new long[] { 47, 68, 25, 67, 83, 23 }, Enumerable.Range(0, 6).Select(_ => r.RandInt(0, 100)).ToArray());
        Assert.Equal(92, r.Choice(100));
        Assert.Equal(1, r.Choice(3));
    }

    [Fact]
    public void WeightedChoicesMatchNumpy()
    {
        // choicep: RandomState(7): 12 x choice(3, p=[0.74, 0.25, 0.01]), 12 x choice([0, 1], p=[0.7, 0.3]),
        // 40 x choice([True, False], p=[0.05, 0.95])
        var r = new NumpyRandomState(7);
        var cdf = new double[3];
        Assert.Equal(new[] { 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1 }, Enumerable.Range(0, 12).Select(_ => r.Choice([0.74, 0.25, 0.01], cdf)).ToArray());
        Assert.Equal(new[] { 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0 }, Enumerable.Range(0, 12).Select(_ => r.Bernoulli(0.3) ? 1 : 0).ToArray());
        var explore = Enumerable.Range(0, 40).Select(_ => r.ChooseTrue(0.05)).ToArray();
        Assert.Equal(31, Array.IndexOf(explore, true));
        Assert.Single(explore, e => e);
    }

    [Fact]
    public void RecoGymWorldOfSeed100MatchesUpstreamDraws()
    {
        // gamma, mu, next: RandomState(100): Gamma = normal(size=(100, 5)), mu_organic = normal(0, 3, size=(100, 1)),
        // then random_sample() (reco_env_v1.py set_static_params)
        var world = RecoGymWorld.FromNumpySeed(new RecoGymOptions(), 100);
        Assert.Equal(new[] { -1.7497654730546974, 0.34268040332750216, 1.153035802563644, -0.25243603652138985, 0.9813207869512316 }, world.Gamma[..5].ToArray());
        Assert.Equal(new[] { 0.8478637181249223, -0.2688763993683175, 0.30198299200599726, -2.2719054986176683, 0.7576049876525334 }, world.Gamma[495..].ToArray());
        Assert.Equal(new[] { 2.628153556236923, 6.468659980044039, 3.8661076688868237 }, world.MuOrganic[..3].ToArray());
        Assert.Equal(2.3609443957311402, world.MuOrganic[99]);
        Assert.True(world.Beta.SequenceEqual(world.Gamma));
        Assert.True(world.MuBandit.SequenceEqual(world.MuOrganic));
    }

    [Fact]
    public void UpstreamUsersStartFromAFreshStreamOfTheWorldSeed()
    {
        // init_gym re-seeds after drawing the world, so the first user's omega is N(0, 1) from RandomState(100): Gamma's first row.
        var world = RecoGymWorld.FromNumpySeed(new RecoGymOptions(), 100);
        var simulator = new UserSimulator(world, new NumpyRandomState(100));
        simulator.Start(0, 0);
        Assert.Equal(world.Gamma[..5].ToArray(), simulator.Omega.ToArray());
    }
}
