// The gnuplot runner: writes each figure's data and script into a folder and draws it as SVG and PNG.
#include "runtime/report/gnuplot.h"

#include <cstdio>
#include <sstream>
#include <system_error>
#include <utility>

#include <sys/wait.h>

#include "support/file_io.h"

namespace xbar::runtime::report {
namespace {

namespace fs = std::filesystem;

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string GnuplotScript(const std::string& stem, const std::string& what, const std::string& settings,
                          const std::string& plot) {
  return "# " + what + "\n# Written by xbar report; regenerate the figures here with: gnuplot " + stem +
         ".gp\nif (!exists(\"svg_out\")) svg_out = '" + stem + ".svg'\nif (!exists(\"png_out\")) png_out = '" + stem +
         ".png'\n" + settings +
         "set terminal svg size 800,500 dynamic enhanced font 'Helvetica,13' background rgb 'white'\n"
         "set output svg_out\n" + plot +
         "\nset terminal pngcairo size 800,500 enhanced font 'Helvetica,11' background rgb 'white'\n"
         "set output png_out\n" + plot + "\nset output\n";
}

Expected<void> DrawFigures(const fs::path& dir, const std::vector<GnuplotFigure>& figures) {
  for (const auto& f : figures) {
    for (const auto& [extension, contents] : {std::pair{".dat", &f.data}, std::pair{".gp", &f.script}}) {
      if (auto ok = WriteFileAtomic((dir / (f.stem + extension)).string(), *contents); !ok) return ok;
    }
  }
  for (const auto& f : figures) {
    if (auto ok = RunGnuplot(dir, f.stem); !ok) return ok;
  }
  return {};
}

Expected<void> RunGnuplot(const fs::path& dir, const std::string& stem) {
  const std::string script = (dir / (stem + ".gp")).string();
  const std::string svg_tmp = "." + stem + ".svg.tmp", png_tmp = "." + stem + ".png.tmp";
  const std::string command = "cd " + ShellQuote(dir.string()) + " && gnuplot -e " +
                              ShellQuote("svg_out='" + svg_tmp + "'; png_out='" + png_tmp + "'") + " " +
                              ShellQuote(stem + ".gp") + " 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return Fail(ErrorCode::kFailedPrecondition, script + ": cannot start gnuplot");
  std::string output;
  char buf[512];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  const int status = ::pclose(pipe);
  const int code = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::error_code ignored;
  auto remove_temporaries = [&] {
    fs::remove(dir / svg_tmp, ignored);
    fs::remove(dir / png_tmp, ignored);
  };
  if (code != 0) {
    remove_temporaries();
    if (code == 127) {
      return Fail(ErrorCode::kFailedPrecondition, script + ": gnuplot not found (install gnuplot-nox)");
    }
    // gnuplot's message spans lines (the offending text, a caret, the reason): keep the last one.
    std::string last;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
      if (line.find_first_not_of(" ^\t") != std::string::npos) last = line;
    }
    return Fail(ErrorCode::kFailedPrecondition,
                script + ": gnuplot failed (exit " + std::to_string(code) + ")" + (last.empty() ? "" : ": " + last));
  }
  for (const auto& [tmp, final_name] : {std::pair{svg_tmp, stem + ".svg"}, std::pair{png_tmp, stem + ".png"}}) {
    std::error_code ec;
    if (fs::file_size(dir / tmp, ec) == 0 || ec) {
      remove_temporaries();
      return Fail(ErrorCode::kFailedPrecondition, script + ": gnuplot wrote no " + final_name);
    }
    fs::rename(dir / tmp, dir / final_name, ec);
    if (ec) return Fail(ErrorCode::kFailedPrecondition, (dir / final_name).string() + ": " + ec.message());
  }
  return {};
}

}  // namespace xbar::runtime::report
