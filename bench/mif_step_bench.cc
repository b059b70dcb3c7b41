// Google Benchmark: MIF layer forward and backward steps, float vs double, in neuron-steps/s.
#include <benchmark/benchmark.h>

#include "device_models/mif_neuron.h"

namespace {

using xbar::device_models::Arr;
using xbar::device_models::MifLayer;
using xbar::device_models::MifParams;
using xbar::device_models::MifState;

template <typename S>
void BM_MifForward(benchmark::State& state) {
  const auto neurons = state.range(0), batch = state.range(1);
  MifLayer<S> layer{MifParams{}};
  const Arr<S> u = Arr<S>::Constant(neurons, batch, S(0.01));
  for (auto _ : state) {
    layer.Reset(neurons, batch, 100, false);
    for (int t = 0; t < 100; ++t) benchmark::DoNotOptimize(layer.Step(u).data());
  }
  state.counters["neuron_steps/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * neurons * batch * 100), benchmark::Counter::kIsRate);
}

template <typename S>
void BM_MifForwardBackward(benchmark::State& state) {
  const auto neurons = state.range(0), batch = state.range(1);
  MifLayer<S> layer{MifParams{}};
  const Arr<S> u = Arr<S>::Constant(neurons, batch, S(0.01));
  MifState<S> adj;
  Arr<S> u_bar;
  for (auto _ : state) {
    layer.Reset(neurons, batch, 100, true);
    for (int t = 0; t < 100; ++t) layer.Step(u);
    adj.Zero(neurons, batch);
    for (int t = 100; t >= 1; --t) {
      adj.v += S(1);
      layer.BackwardStep(t, adj, u_bar);
    }
    benchmark::DoNotOptimize(u_bar.data());
  }
  state.counters["neuron_steps/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * neurons * batch * 100), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_MifForward<float>)->Args({256, 16});
BENCHMARK(BM_MifForward<double>)->Args({256, 16});
BENCHMARK(BM_MifForwardBackward<float>)->Args({256, 16});
BENCHMARK(BM_MifForwardBackward<double>)->Args({256, 16});

}  // namespace

BENCHMARK_MAIN();
