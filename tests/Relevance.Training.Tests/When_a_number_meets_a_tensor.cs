using Relevance.Training.Model;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Relevance.Training.Tests;

/// <summary>
/// TorchSharp gives libtorch a Scalar's raw handle; a Scalar made for one call (by us from a number, or by TorchSharp's
/// own overloads, as <c>add(tensor)</c> makes its alpha) is garbage once its handle is read, and a collection during
/// the native call frees it under libtorch ("Unknown scalar type", seen when a worker process resumed a training
/// request). The model, the losses and the optimizer hold every number they pass.
/// </summary>
[Collection(InProcessTorch.Name)]
public sealed class When_a_number_meets_a_tensor
{
    [Fact]
    public void Should_keep_every_number_alive_while_libtorch_reads_it_under_constant_collections()
    {
        using var t = ones(8);
        UnderCollections(() =>
        {
            using var scope = NewDisposeScope();
            var x = t.Over(4.0).Times(2.0).Plus(1.0).Plus(t).Minus(t).AtLeast(0.0).AtMost(9.0).Softplus();
            Assert.Equal(Math.Log(1 + Math.Exp(1.5)), x[0].item<float>(), 5);
        });
    }

    [Fact]
    public void Should_step_as_torchsharps_adamw_does()
    {
        manual_seed(7);
        using var ours = nn.Linear(6, 3);
        using var theirs = nn.Linear(6, 3);
        theirs.load_state_dict(ours.state_dict());
        using var held = new HeldAdamW(ours.parameters(), 1e-2, 0.01);
        using var reference = optim.AdamW(theirs.parameters(), 1e-2, weight_decay: 0.01);
        for (var step = 0; step < 5; step++)
        {
            using var scope = NewDisposeScope();
            var input = randn(4, 6);
            var target = randn(4, 3);
            held.ZeroGrad();
            nn.functional.mse_loss(ours.forward(input), target).backward();
            held.Step();
            reference.zero_grad();
            nn.functional.mse_loss(theirs.forward(input), target).backward();
            reference.step();
        }
        foreach (var (a, b) in ours.parameters().Zip(theirs.parameters()))
            Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-7), "parameters differ after five steps");
    }

    [Fact]
    public void Should_continue_from_its_saved_state_as_if_never_stopped()
    {
        manual_seed(11);
        using var straight = nn.Linear(5, 2);
        using var resumed = nn.Linear(5, 2);
        resumed.load_state_dict(straight.state_dict());
        var inputs = Enumerable.Range(0, 4).Select(_ => (randn(3, 5).DetachFromDisposeScope(), randn(3, 2).DetachFromDisposeScope())).ToArray();
        using var a = new HeldAdamW(straight.parameters(), 1e-2, 0.01);
        foreach (var (x, y) in inputs) Train(straight, a, x, y);

        var path = Path.GetTempFileName();
        try
        {
            using (var first = new HeldAdamW(resumed.parameters(), 1e-2, 0.01))
            {
                foreach (var (x, y) in inputs[..2]) Train(resumed, first, x, y);
                first.Save(path);
            }
            using var second = new HeldAdamW(resumed.parameters(), 1e-2, 0.01);
            second.Load(path);
            Assert.Equal(2, second.Steps);
            foreach (var (x, y) in inputs[2..]) Train(resumed, second, x, y);
        }
        finally { File.Delete(path); }
        foreach (var (p, q) in straight.parameters().Zip(resumed.parameters())) Assert.True(p.allclose(q), "resumed training diverged");
    }

    private static void Train(nn.Module<Tensor, Tensor> model, HeldAdamW optimizer, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        optimizer.ZeroGrad();
        nn.functional.mse_loss(model.forward(x), y).backward();
        optimizer.Step();
    }

    private static void UnderCollections(Action body)
    {
        var stop = 0;
        var collector = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        });
        collector.Start();
        try
        {
            for (var i = 0; i < 20_000; i++) body();
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            collector.Join();
        }
    }
}
