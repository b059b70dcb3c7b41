// Training throughput of xbar's BPTT on the MIF network (784-H-10, T, P, batch), in samples/s.
// Prints one JSON line per repeat and the median; bench/train compares it with PyTorch.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/dataset.h"
#include "runtime/trainer.h"

int main(int argc, char** argv) {
  int samples = 7680, hidden = 128, repeats = 3, threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--samples") samples = value;
    else if (flag == "--hidden") hidden = value;
    else if (flag == "--repeats") repeats = value;
    else if (flag == "--threads") threads = value;
    else {
      std::fprintf(stderr, "train_bench: unknown flag %s (--samples --hidden --repeats --threads)\n", argv[i]);
      return 2;
    }
  }
  auto data = xbar::runtime::LoadDataset("mnist", xbar::runtime::DataDir(""), xbar::runtime::Split::kTrain, samples);
  if (!data) {
    std::fprintf(stderr, "train_bench: %s\n", data.error().message.c_str());
    return 1;
  }
  xbar::runtime::TrainOptions opt;
  opt.hidden = {hidden};
  opt.epochs = 1;
  opt.batch_size = 128;
  opt.quiet = true;
  opt.threads = threads;
  opt.encoding.steps = 100;
  opt.encoding.period = 20;
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    double rate = 0;
    auto model = xbar::runtime::Train(opt, *data, nullptr, [&](const xbar::runtime::EpochStats& s) { rate = s.samples_per_s; });
    if (!model) {
      std::fprintf(stderr, "train_bench: %s\n", model.error().message.c_str());
      return 1;
    }
    rates.push_back(rate);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("{\"impl\": \"xbar\", \"samples\": %d, \"hidden\": %d, \"repeats\": %d, \"samples_per_s\": %.1f}\n",
              samples, hidden, repeats, rates[rates.size() / 2]);
  return 0;
}
