// The remap pass: used rows and bit lines moved off stuck cells (compiler/remap.h), with its metadata.
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/pass_options.h"
#include "support/duration.h"

namespace xbar::compiler {
namespace {

const std::vector<PassOptionInfo>& Options() {
  static const RemapOptions d;
  static const std::vector<PassOptionInfo> options = {
      {"age", "duration", FormatDuration(d.age_s),
       "age of use: stuck cells are counted at the drift-compensation gain of this age"},
      {"rounds", "int", FormatOptionNumber(d.rounds), "alternations of row and column assignment per tile, [1, 100]"},
  };
  return options;
}

constexpr PassStatisticInfo kStatistics[] = {
    {"tiles-with-faults", "count", "tiles with a stuck cell"},
    {"tiles-remapped", "count", "tiles whose rows or bit lines moved"},
    {"rows-moved", "count", "used rows moved to another word line (spares included)"},
    {"columns-moved", "count", "used bit lines moved to another physical bit line"},
    {"harmful-before", "count", "weights a stuck cell leaves wrong beyond the verify tolerance, top-left placement"},
    {"harmful-after", "count", "the same after remapping"},
    {"stuck-gain", "ratio", "drift-compensation gain stuck cells were counted at"},
};

Expected<void> SetOption(CompileOptions& options, std::string_view option, std::string_view flag,
                         std::string_view value) {
  if (option == "age") {
    auto age = ParseDuration(value);
    if (!age) return std::unexpected(WithContext(age.error(), std::string(flag)));
    options.remap.age_s = *age;
    return {};
  }
  if (option == "rounds") {
    auto rounds = ParseOptionInt(flag, value, 1, 100);
    if (!rounds) return std::unexpected(rounds.error());
    options.remap.rounds = *rounds;
    return {};
  }
  return std::unexpected(UnknownPassOption(flag));
}

}  // namespace

const PassInfo& RemapPassInfo() {
  static const PassInfo info{
      "remap", "with a fault map (xbar compile --faults): move used rows and bit lines off stuck cells, spares included",
      Options(), kStatistics, &SetOption};
  return info;
}

Expected<void> RemapPass(const RemapOptions& options, CompileState& state, PassReport& report) {
  auto remap = RemapAroundStuckCells(state.plan, options);
  if (!remap) return std::unexpected(remap.error());
  report.statistics = {{"tiles-with-faults", static_cast<double>(remap->tiles_with_faults), "count"},
                       {"tiles-remapped", static_cast<double>(remap->tiles_remapped), "count"},
                       {"rows-moved", static_cast<double>(remap->rows_moved), "count"},
                       {"columns-moved", static_cast<double>(remap->columns_moved), "count"},
                       {"harmful-before", static_cast<double>(remap->harmful_before), "count"},
                       {"harmful-after", static_cast<double>(remap->harmful_after), "count"},
                       {"stuck-gain", remap->stuck_gain, "ratio"}};
  return {};
}

}  // namespace xbar::compiler
