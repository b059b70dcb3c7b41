// Library layering (docs/architecture.md): includes point down the dependency order, and every
// file includes only what its CMake target links.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testing/temp.h"

namespace {

namespace fs = std::filesystem;

// The direction of dependencies (docs/architecture.md): an area may include itself and these.
// "xbar" is the include prefix of the generated protobuf headers (proto/xbar/v1/*.proto).
const std::map<std::string, std::set<std::string>>& Direction() {
  static const std::map<std::string, std::set<std::string>> kDirection = {
      {"support", {"support"}},
      {"device_models", {"device_models", "support"}},
      {"compiler", {"compiler", "device_models", "support", "xbar"}},
      {"rtl", {"rtl"}},
      {"runtime", {"runtime", "rtl", "compiler", "device_models", "support"}},
      {"tools", {"tools", "runtime", "rtl", "compiler", "device_models", "support"}},
      {"bench", {"bench", "runtime", "compiler", "device_models", "support"}},
  };
  return kDirection;
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One CMake target: where it is declared, its sources, what it links (by visibility).
struct Target {
  std::string area;                  // top-level folder of its CMakeLists.txt
  bool library = false;
  std::set<std::string> sources;     // paths relative to the tree root
  std::set<std::string> links;       // every visibility
  std::set<std::string> public_links;  // PUBLIC and INTERFACE
};

// Reads add_library / add_executable / target_sources / target_link_libraries of every
// CMakeLists.txt under the areas of `root` (a small parser: commands with plain arguments).
std::map<std::string, Target> ReadTargets(const fs::path& root) {
  std::map<std::string, Target> targets;
  const std::regex command_re(R"re((add_library|add_executable|target_sources|target_link_libraries)\s*\(([^)]*)\))re");
  for (const auto& [area, unused] : Direction()) {
    const fs::path dir = root / area;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.path().filename() != "CMakeLists.txt") continue;
      std::string text;
      std::istringstream raw(ReadText(entry.path()));
      for (std::string line; std::getline(raw, line);) text += line.substr(0, line.find('#')) + "\n";
      const fs::path base = fs::relative(entry.path().parent_path(), root);
      for (auto it = std::sregex_iterator(text.begin(), text.end(), command_re); it != std::sregex_iterator(); ++it) {
        std::istringstream args((*it)[2].str());
        std::vector<std::string> words;
        for (std::string w; args >> w;) words.push_back(w);
        if (words.empty()) continue;
        Target& t = targets[words[0]];
        const std::string command = (*it)[1];
        if (command.starts_with("add_")) {
          t.area = area;
          t.library = command == "add_library";
        }
        std::string visibility = "PUBLIC";
        for (std::size_t i = 1; i < words.size(); ++i) {
          const std::string& w = words[i];
          if (w == "PUBLIC" || w == "PRIVATE" || w == "INTERFACE") {
            visibility = w;
          } else if (command == "target_link_libraries") {
            t.links.insert(w);
            if (visibility != "PRIVATE") t.public_links.insert(w);
          } else if (w.ends_with(".cc")) {
            t.sources.insert((base / w).lexically_normal().string());
          }
        }
      }
    }
  }
  return targets;
}

// Targets a target's code may include: itself, what it links, and what those export publicly.
std::set<std::string> Reachable(const std::map<std::string, Target>& targets, const std::string& name) {
  std::set<std::string> seen = {name};
  std::vector<std::string> todo;
  if (auto it = targets.find(name); it != targets.end()) todo.assign(it->second.links.begin(), it->second.links.end());
  while (!todo.empty()) {
    const std::string t = todo.back();
    todo.pop_back();
    if (!seen.insert(t).second) continue;
    if (auto it = targets.find(t); it != targets.end()) {
      todo.insert(todo.end(), it->second.public_links.begin(), it->second.public_links.end());
    }
  }
  return seen;
}

// Every layering violation under `root`, one line each ("file:line includes area/ ...").
std::vector<std::string> Violations(const fs::path& root) {
  std::vector<std::string> out;
  const auto targets = ReadTargets(root);
  // Include prefix -> the library targets declared in that area ("xbar" -> the proto library).
  std::map<std::string, std::set<std::string>> providers;
  for (const auto& [name, t] : targets) {
    if (t.library) providers[t.area == "proto" ? "xbar" : t.area].insert(name);
  }
  providers["xbar"].insert("xbar_proto");
  // CMake links follow the direction too.
  for (const auto& [name, t] : targets) {
    if (t.area.empty()) continue;
    for (const auto& link : t.links) {
      auto dep = targets.find(link);
      if (dep == targets.end() || dep->second.area.empty() || dep->second.area == t.area) continue;
      const std::string area = dep->second.area == "proto" ? "xbar" : dep->second.area;
      if (!Direction().at(t.area).count(area)) {
        out.push_back(t.area + "/CMakeLists.txt: " + name + " links " + link + " of " + dep->second.area + "/");
      }
    }
  }
  const std::regex include_re(R"re(^\s*#\s*include\s+"([a-z_]+)/)re");
  for (const auto& [area, allowed] : Direction()) {
    const fs::path dir = root / area;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      const auto ext = entry.path().extension();
      if (ext != ".h" && ext != ".cc") continue;
      const std::string rel = fs::relative(entry.path(), root).string();
      // The targets this file is compiled into: by its own name or its .cc sibling's; a header
      // without one belongs to every target of its area.
      std::set<std::string> owners;
      const std::string cc = fs::path(rel).replace_extension(".cc").string();
      for (const auto& [name, t] : targets) {
        if (t.sources.count(rel) || t.sources.count(cc)) owners.insert(name);
      }
      if (owners.empty()) {
        for (const auto& [name, t] : targets) {
          if (t.area == area) owners.insert(name);
        }
      }
      std::set<std::string> reachable;
      for (const auto& o : owners) {
        auto r = Reachable(targets, o);
        reachable.insert(r.begin(), r.end());
      }
      std::istringstream in(ReadText(entry.path()));
      std::string line;
      for (int number = 1; std::getline(in, line); ++number) {
        std::smatch m;
        if (!std::regex_search(line, m, include_re)) continue;
        const std::string to = m[1];
        const std::string where = rel + ":" + std::to_string(number) + " includes " + to + "/";
        if (!allowed.count(to)) {
          out.push_back(where + " which " + area + "/ may not use");
        } else if (to != area) {
          const auto& p = providers[to];
          if (!std::any_of(p.begin(), p.end(), [&](const std::string& t) { return reachable.count(t) > 0; })) {
            out.push_back(where + " but its target does not link a library of " + to + "/");
          }
        }
      }
      // Generated protobuf headers only at the edges: readers and writers named *_io.
      if (area != "tools" && area != "bench" && entry.path().filename().string().find("_io.") == std::string::npos &&
          ReadText(entry.path()).find(".pb.h\"") != std::string::npos) {
        out.push_back(rel + " includes a generated protobuf header outside an _io file");
      }
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

TEST(Layering, EveryAreaIncludesOnlyDownwardAndWhatItsTargetLinks) {
  const fs::path root(XBAR_SOURCE_DIR);
  const auto targets = ReadTargets(root);
  for (const char* t : {"xbar_support", "xbar_device_models", "xbar_compiler", "xbar_runtime", "xbar_rtl", "xbar"}) {
    EXPECT_TRUE(targets.count(t)) << "no target " << t << " found in the CMakeLists.txt files";
  }
  EXPECT_FALSE(Reachable(targets, "xbar_rtl").count("xbar_compiler")) << "rtl/ links the compiler";
  const auto violations = Violations(root);
  EXPECT_TRUE(violations.empty()) << Join(violations);
}

// The checker itself finds what it is for: a tree with one violation of each kind.
TEST(Layering, FindsPlantedViolations) {
  const fs::path root = xbar::testing::TempDir() / "planted";
  auto write = [&](const std::string& rel, const std::string& text) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
  };
  write("support/CMakeLists.txt", "add_library(xbar_support STATIC s.cc)\n");
  write("support/s.cc", "#include \"support/s.h\"\n");
  write("device_models/CMakeLists.txt", "add_library(xbar_device_models STATIC d.cc)\n");
  write("device_models/d.cc", "#include \"support/s.h\"\n");  // not linked
  write("compiler/CMakeLists.txt",
        "add_library(xbar_compiler STATIC c.cc)\ntarget_link_libraries(xbar_compiler PUBLIC xbar_device_models)\n");
  write("compiler/c.cc", "#include \"device_models/d.h\"\n#include \"support/s.h\"\n");  // support: not linked
  write("rtl/CMakeLists.txt", "add_library(xbar_rtl STATIC r.cc)\ntarget_link_libraries(xbar_rtl PUBLIC xbar_compiler)\n");
  write("rtl/r.cc", "#include \"compiler/c.h\"\n");  // upward
  write("runtime/CMakeLists.txt", "add_library(xbar_runtime STATIC u.cc)\n"
                                  "target_link_libraries(xbar_runtime PRIVATE xbar_compiler)\n");
  write("runtime/u.cc", "#include \"device_models/d.h\"\n#include \"tools/t.h\"\n#include \"runtime/x.pb.h\"\n");
  const auto v = Violations(root);
  const std::string all = Join(v);
  EXPECT_NE(all.find("device_models/d.cc:1 includes support/ but its target does not link"), std::string::npos) << all;
  EXPECT_NE(all.find("compiler/c.cc:2 includes support/ but its target does not link"), std::string::npos) << all;
  EXPECT_NE(all.find("rtl/r.cc:1 includes compiler/ which rtl/ may not use"), std::string::npos) << all;
  EXPECT_NE(all.find("rtl/CMakeLists.txt: xbar_rtl links xbar_compiler of compiler/"), std::string::npos) << all;
  EXPECT_NE(all.find("runtime/u.cc:2 includes tools/ which runtime/ may not use"), std::string::npos) << all;
  EXPECT_NE(all.find("runtime/u.cc includes a generated protobuf header"), std::string::npos) << all;
  // runtime links the compiler, which exports device_models: allowed.
  EXPECT_EQ(all.find("runtime/u.cc:1"), std::string::npos) << all;
  EXPECT_EQ(v.size(), 6u) << all;
}

TEST(Layering, ProgramOptionsOnlyInTools) {
  for (const char* area : {"support", "device_models", "compiler", "runtime", "rtl"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(XBAR_SOURCE_DIR) / area)) {
      if (!entry.is_regular_file()) continue;
      EXPECT_EQ(ReadText(entry.path()).find("boost/program_options"), std::string::npos) << entry.path().string();
    }
  }
}

}  // namespace
