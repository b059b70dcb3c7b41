// The gnuplot runner: writes each figure's data and script into a folder and draws it as SVG and PNG.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/error.h"

namespace xbar::runtime::report {

/// One figure: STEM.dat, and the script STEM.gp that reads it and writes STEM.svg and STEM.png.
struct GnuplotFigure {
  std::string stem;
  std::string data;
  std::string script;
};

/// A gnuplot script (`what` its first comment line) that applies `settings` and draws `plot` twice:
/// into STEM.svg (800x500, svg terminal) and STEM.png (pngcairo). The output names can be
/// overridden with -e "svg_out='...'; png_out='...'".
std::string GnuplotScript(const std::string& stem, const std::string& what, const std::string& settings,
                          const std::string& plot);

/// Writes every figure's .dat and .gp into `dir` (an existing folder; each file whole, renamed
/// into place), then runs gnuplot on each in turn. Errors (kFailedPrecondition) name the file or
/// script: gnuplot not installed (install gnuplot-nox), gnuplot failing (its last message line),
/// an SVG or PNG missing or empty.
Expected<void> DrawFigures(const std::filesystem::path& dir, const std::vector<GnuplotFigure>& figures);

/// Runs DIR/STEM.gp in DIR. Its SVG and PNG are written under temporary names and renamed into
/// place only when gnuplot succeeds; on failure neither is left behind. Errors as DrawFigures.
Expected<void> RunGnuplot(const std::filesystem::path& dir, const std::string& stem);

}  // namespace xbar::runtime::report
