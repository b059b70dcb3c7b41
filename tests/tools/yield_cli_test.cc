// xbar yield end to end: one rank and two ranks under mpirun give the same chips and statistics,
// chip i is the chip `xbar program` and `xbar infer` make from its seeds, and bad input is one line.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "support/json.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/temp.h"

namespace {

namespace fs = std::filesystem;

struct Run {
  int exit_code;
  std::string out, err;
};

const fs::path kTmp = ::xbar::testing::TempDir();
const std::string kXbar = std::string(XBAR_BINARY_DIR) + "/tools/xbar";

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `command` (a whole shell command line), capturing stdout and stderr.
Run Shell(const std::string& command) {
  const fs::path out = kTmp / "stdout", err = kTmp / "stderr";
  const int status = std::system((command + " >" + out.string() + " 2>" + err.string()).c_str());
  return Run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out), Slurp(err)};
}

// In sanitizer builds (scripts/sanitize) leak detection is off for every xbar yield process: Open
// MPI leaks blocks in MPI_Init/MPI_Finalize and in its progress thread, from components it has
// dlopen'ed and unloaded again, so LeakSanitizer can neither attribute nor suppress them
// (runtime/mpi_world.cc). AddressSanitizer's other checks and UBSan stay on; the yield library
// (runtime/yield.cc) is leak-checked by tests/runtime/yield_test.cc.
const std::string kNoLeakCheck = "LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}detect_leaks=0 ";

Run Xbar(const std::string& args) { return Shell(kNoLeakCheck + kXbar + " " + args); }

// `ranks` copies of xbar under FindMPI's mpiexec (as root too; more ranks than cores allowed).
Run XbarMpi(int ranks, const std::string& args) {
  return Shell(kNoLeakCheck + "timeout 600 " + XBAR_MPIEXEC + " --allow-run-as-root --oversubscribe -np " +
               std::to_string(ranks) + " " + kXbar + " " + args);
}

xbar::Json ParseResult(const std::string& text) {
  auto json = xbar::ParseJson(text, "xbar yield --json");
  EXPECT_TRUE(json.has_value()) << text;
  return json ? *json : xbar::Json();
}

std::vector<double> Numbers(const xbar::Json& array) {
  std::vector<double> out;
  for (std::size_t i = 0; i < array.size(); ++i) out.push_back(array[i].get<double>());
  return out;
}

// A small trained network (784-32-10, 30 steps) compiled onto the default chip and programmed once
// per process: a plan that takes seconds per chip.
struct SmallChip {
  std::string plan, program, other_plan;
};
// (CTest fixture small_chip, tests/testing/fixtures.h).
const SmallChip& Small() {
  static const SmallChip chip{xbar::testing::SmallPlan(), xbar::testing::SmallProgram(),
                              xbar::testing::SmallPlainPlan()};
  return chip;
}

const std::string kEvalArgs = " --limit 100 --calibration-images 32 --ages 1d,1y --compensation none,global";

}  // namespace

TEST(YieldCli, OneRankAndTwoRanksUnderMpirunGiveTheSameChipsAndStatistics) {
  ASSERT_STRNE(XBAR_MPIEXEC, "") << "xbar was configured without MPI: run scripts/setup (it installs Open MPI) "
                                    "and configure again";
  const SmallChip& c = Small();
  const std::string args = "yield " + c.plan + " --program " + c.program + " --chips 4" + kEvalArgs +
                           " --threshold 0.7 --json -q";
  const std::string out1 = (kTmp / "yield1.json").string(), out2 = (kTmp / "yield2.json").string();
  auto one = Xbar(args + " --threads 2 --out " + out1);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.err, "");
  auto two = XbarMpi(2, args + " --threads 1 --out " + out2);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  // Only rank 0 prints: one JSON document.
  EXPECT_EQ(std::count(two.out.begin(), two.out.end(), '\n'), 1) << two.out;
  const xbar::Json r1 = ParseResult(one.out), r2 = ParseResult(two.out);
  EXPECT_EQ(Slurp(out1), one.out);
  EXPECT_EQ(Slurp(out2), two.out);
  ASSERT_TRUE(r1.contains("ranks") && r2.contains("ranks"));
  EXPECT_EQ(r1.at("ranks").get<double>(), 1);
  EXPECT_EQ(r2.at("ranks").get<double>(), 2);
  EXPECT_EQ(r1.at("chips").get<double>(), 4);
  // The program's header chip seed is the base seed.
  EXPECT_EQ(r1.at("base_seed").get<std::string>(), "5");
  const xbar::Json& p1 = r1.at("points");
  const xbar::Json& p2 = r2.at("points");
  ASSERT_EQ(p1.size(), 4u);  // 2 ages x 2 compensations
  ASSERT_EQ(p2.size(), 4u);
  int points_where_chips_differ = 0;
  for (std::size_t p = 0; p < p1.size(); ++p) {
    const std::vector<double> a1 = Numbers(p1[p].at("accuracies")), a2 = Numbers(p2[p].at("accuracies"));
    ASSERT_EQ(a1.size(), 4u);
    EXPECT_EQ(a1, a2) << "point " << p;
    for (const char* key : {"mean", "p5", "p50", "p95", "min", "max", "fraction_above", "threshold"}) {
      ASSERT_TRUE(p1[p].contains(key) && p2[p].contains(key)) << key;
      EXPECT_EQ(p1[p].at(key).get<double>(), p2[p].at(key).get<double>()) << key << " of point " << p;
    }
    EXPECT_EQ(p1[p].at("compensation").get<std::string>(), p2[p].at("compensation").get<std::string>());
    points_where_chips_differ += std::set<double>(a1.begin(), a1.end()).size() > 1 ? 1 : 0;
    // A trained network well above chance on every chip.
    for (double a : a1) EXPECT_GT(a, 0.5) << "point " << p;
  }
  // Different seeds make different chips: not every chip scores the same.
  EXPECT_GT(points_where_chips_differ, 0);
  ASSERT_EQ(r1.at("seeds").size(), 4u);
  std::set<std::string> seeds;
  for (std::size_t i = 0; i < 4; ++i) seeds.insert((r1.at("seeds"))[i].at("chip").get<std::string>());
  EXPECT_EQ(seeds.size(), 4u);
}

TEST(YieldCli, EveryChipIsTheChipProgramAndInferMakeFromItsSeeds) {
  const SmallChip& c = Small();
  auto y = Xbar("yield " + c.plan + " --chips 2 --seed 11" + kEvalArgs + " --json -q");
  ASSERT_EQ(y.exit_code, 0) << y.err;
  const xbar::Json r = ParseResult(y.out);
  EXPECT_EQ(r.at("base_seed").get<std::string>(), "11");
  const xbar::Json& seeds = (r.at("seeds"))[1];
  const std::string state = (kTmp / "chip1.xbcs").string(), pulses = (kTmp / "chip1.xbpulse").string();
  auto p = Xbar("program " + c.plan + " -o " + pulses + " --state " + state + " --chip-seed " +
                seeds.at("chip").get<std::string>() + " --seed " + seeds.at("program").get<std::string>() + " -q");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  auto i = Xbar("infer " + c.plan + " --chip-state " + state + " --seed " + seeds.at("read").get<std::string>() +
                kEvalArgs + " --json -q");
  ASSERT_EQ(i.exit_code, 0) << i.err;
  const xbar::Json infer = ParseResult(i.out);
  const xbar::Json& infer_points = infer.at("points");
  const xbar::Json& yield_points = r.at("points");
  ASSERT_EQ(infer_points.size(), yield_points.size());
  for (std::size_t k = 0; k < infer_points.size(); ++k) {
    EXPECT_EQ(infer_points[k].at("accuracy").get<double>(), (yield_points[k].at("accuracies"))[1].get<double>())
        << "point " << k;
  }
}

TEST(YieldCli, BadInputIsOneLineAndWritesNothing) {
  const SmallChip& c = Small();
  const std::string out = (kTmp / "never.json").string();
  struct Case {
    std::string args, message;
    int code;
  };
  for (const Case& k : {
           Case{"--chips 0", "--chips 0 must lie in [1, 1000000]", 2},
           Case{"--chips 2 --threshold 1.5", "--threshold 1.5 must lie in [0, 1]", 2},
           Case{"--chips 2 --threshold -0.1", "--threshold -0.1 must lie in [0, 1]", 2},
           Case{"--chips 2 --dataset cifar", "unknown dataset 'cifar' (choose mnist or fashion-mnist, or one averaged", 2},
           Case{"--chips 2 --ages 1d,soon", "--ages: 'soon' is not a duration", 2},
           Case{"--chips 2 --compensation sometimes",
                "--compensation: drift compensation 'sometimes' is not one of none, global, column", 2},
           Case{"--chips 2 --out /nonexistent-xbar/r.json",
                "/nonexistent-xbar/r.json: folder /nonexistent-xbar does not exist", 1},
       }) {
    const bool own_out = k.args.find("--out") != std::string::npos;
    auto r = Xbar("yield " + c.plan + " " + k.args + (own_out ? "" : " --out " + out));
    EXPECT_EQ(r.exit_code, k.code) << k.args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("xbar yield: error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(k.message), std::string::npos) << k.args << ": " << r.err;
    EXPECT_FALSE(fs::exists(out)) << k.args;
  }
  // A pulse program generated from another plan.
  auto other = Xbar("yield " + c.other_plan + " --program " + c.program + " --chips 2 --out " + out);
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_EQ(other.err.rfind("xbar yield: error: " + c.program + ": pulse program for chip 'xbar-default-128' and "
                            "targets crc32 ", 0), 0u) << other.err;
  EXPECT_NE(other.err.find("(generate it from this plan)\n"), std::string::npos) << other.err;
  EXPECT_FALSE(fs::exists(out));
  // A plan remapped around one chip instance's stuck cells fits that instance only.
  const std::string state = (kTmp / "y_faults.xbcs").string(), remapped = (kTmp / "y_remapped.xbp").string();
  ASSERT_EQ(Xbar("program " + c.plan + " -o " + (kTmp / "y_faults.xbpulse").string() + " --state " + state +
                 " --chip-seed 3 -q").exit_code, 0);
  auto compile = Xbar("compile " + xbar::testing::SmallModel() + " --chip " + std::string(XBAR_SOURCE_DIR) +
                      "/chips/default.textproto --compensate-enable false --faults " + state + " -q -o " + remapped);
  ASSERT_EQ(compile.exit_code, 0) << compile.err;
  auto tied = Xbar("yield " + remapped + " --chips 2 --out " + out);
  EXPECT_EQ(tied.exit_code, 2);
  EXPECT_EQ(tied.err, "xbar yield: error: " + remapped + ": remapped around the stuck cells of chip instance 3 "
                      "(xbar compile --faults), it fits that instance only; a population needs a plan compiled "
                      "without --faults\n");
  EXPECT_FALSE(fs::exists(out));
  // A damaged plan names the file; under mpirun every rank fails the same way and rank 0 alone says so.
  auto missing = XbarMpi(2, "yield /nonexistent-xbar.xbp --chips 2");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_EQ(missing.err.find("xbar yield: error: /nonexistent-xbar.xbp"),
            missing.err.rfind("xbar yield: error: /nonexistent-xbar.xbp")) << missing.err;
  EXPECT_NE(missing.err.find("xbar yield: error: /nonexistent-xbar.xbp"), std::string::npos) << missing.err;
  auto help = Xbar("yield --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* opt : {"--chips", "--program", "--threshold", "--json", "--seed", "--data-dir", "--threads"}) {
    EXPECT_NE(help.out.find(opt), std::string::npos) << opt;
  }
}

// The convolutional plan of the conv_chip fixture (two copies of each convolution), two chips on
// one rank and on two under mpirun: one accuracy per chip, each a fraction of the test images, the
// same on both, and two distinct chips. The MPI path at a size the sanitizer build runs (without
// IR drop: its solver, slow under the sanitizers, is XbarCli.ConvPlanInfersAlikeOnBothBackends').
TEST(YieldCli, ConvPlanOnOneRankAndOnTwoGivesTheSameChips) {
  ASSERT_STRNE(XBAR_MPIEXEC, "") << "xbar was configured without MPI: run scripts/setup (it installs Open MPI) "
                                    "and configure again";
  const std::string args = "yield " + xbar::testing::ConvPlan() + " --program " + xbar::testing::ConvProgram() +
                           " --chips 2 --limit 20 --calibration-images 8 --ages 1d --compensation global "
                           "--threshold 0.3 --no-ir-drop --json -q";
  auto one = Xbar(args + " --threads 2");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto two = XbarMpi(2, args + " --threads 1");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const xbar::Json r1 = ParseResult(one.out), r2 = ParseResult(two.out);
  ASSERT_TRUE(r1.contains("ranks") && r2.contains("ranks"));
  EXPECT_EQ(r1.at("ranks").get<double>(), 1);
  EXPECT_EQ(r2.at("ranks").get<double>(), 2);
  EXPECT_EQ(r1.at("chips").get<double>(), 2);
  const xbar::Json& p1 = r1.at("points");
  const xbar::Json& p2 = r2.at("points");
  ASSERT_EQ(p1.size(), 1u);
  ASSERT_EQ(p2.size(), 1u);
  const std::vector<double> a1 = Numbers(p1[0].at("accuracies")), a2 = Numbers(p2[0].at("accuracies"));
  ASSERT_EQ(a1.size(), 2u);
  EXPECT_EQ(a1, a2);
  for (double a : a1) {
    EXPECT_GE(a, 0.0);
    EXPECT_LE(a, 1.0);
    EXPECT_DOUBLE_EQ(a * 20, std::round(a * 20));  // a count of 20 test images
  }
  ASSERT_EQ(r1.at("seeds").size(), 2u);
  EXPECT_NE((r1.at("seeds"))[0].at("chip").get<std::string>(), (r1.at("seeds"))[1].at("chip").get<std::string>());
}
