// Library layering (DESIGN.md §2): every #include "area/..." points down the dependency order.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

namespace {

namespace fs = std::filesystem;

TEST(Layering, IncludesPointDownOnly) {
  const std::map<std::string, std::set<std::string>> allowed = {
      {"support", {"support"}},
      {"device_models", {"device_models", "support"}},
      {"compiler", {"compiler", "device_models", "support", "xbar"}},
      {"runtime", {"runtime", "compiler", "device_models", "support", "rtl"}},
      {"tools", {"tools", "runtime", "compiler", "device_models", "support"}},
  };
  const std::regex include_re(R"re(^\s*#\s*include\s+"([a-z_]+)/)re");
  int files = 0;
  for (const auto& [area, ok] : allowed) {
    const fs::path dir = fs::path(XBAR_SOURCE_DIR) / area;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      const auto ext = entry.path().extension();
      if (ext != ".h" && ext != ".cc") continue;
      ++files;
      std::ifstream in(entry.path());
      std::string line;
      int number = 0;
      while (std::getline(in, line)) {
        ++number;
        std::smatch m;
        if (std::regex_search(line, m, include_re)) {
          EXPECT_TRUE(ok.count(m[1])) << entry.path().string() << ":" << number << " includes "
                                      << m[1] << "/ which " << area << "/ may not use";
        }
      }
      // Generated protobuf headers only at the edges: readers and writers named *_io.
      if (area != "tools" && entry.path().filename().string().find("_io.") == std::string::npos) {
        std::ifstream again(entry.path());
        std::string text((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
        EXPECT_EQ(text.find(".pb.h\""), std::string::npos)
            << entry.path().string() << " includes a generated protobuf header outside an _io file";
      }
    }
  }
  EXPECT_GT(files, 10);
}

TEST(Layering, ProgramOptionsOnlyInTools) {
  for (const char* area : {"support", "device_models", "compiler", "runtime"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(XBAR_SOURCE_DIR) / area)) {
      if (!entry.is_regular_file()) continue;  // subfolders such as runtime/report/
      std::ifstream in(entry.path());
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_EQ(text.find("boost/program_options"), std::string::npos) << entry.path().string();
    }
  }
}

}  // namespace
