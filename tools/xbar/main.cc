// The xbar command: git-style subcommands, each a thin driver over the libraries.
#include <cstring>
#include <iostream>
#include <string>

namespace xbar::tools {
int RunTrain(int argc, char** argv);
int RunEval(int argc, char** argv);
int RunTileSolve(int argc, char** argv);
int RunSpice(int argc, char** argv);
int RunCompile(int argc, char** argv);
int RunProgram(int argc, char** argv);
int RunInfer(int argc, char** argv);
int RunFinetune(int argc, char** argv);
int RunReport(int argc, char** argv);
int RunRepair(int argc, char** argv);
int RunYield(int argc, char** argv);
int RunExport(int argc, char** argv);
}  // namespace xbar::tools

namespace {

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(int, char**);
};

constexpr Subcommand kSubcommands[] = {
    {"train", "train the memristive spiking network (BPTT on the MIF dynamics)", xbar::tools::RunTrain},
    {"eval", "test accuracy of a model on a data set", xbar::tools::RunEval},
    {"compile", "map a model onto a chip's tiles and write the plan (.xbp)", xbar::tools::RunCompile},
    {"program", "write-verify pulses for every cell of a plan on a simulated chip (.xbpulse, CSV, state)",
     xbar::tools::RunProgram},
    {"infer", "test accuracy, energy and latency of a programmed chip over its life (either backend)",
     xbar::tools::RunInfer},
    {"finetune", "chip-in-the-loop fine-tuning and a delta program that reprograms only what changed",
     xbar::tools::RunFinetune},
    {"export", "a spiking network as a NIR graph: a model, or a programmed chip's realised weights at an age",
     xbar::tools::RunExport},
    {"repair", "re-target the partners of cells write-verify could not program (stuck), reprogram them",
     xbar::tools::RunRepair},
    {"yield", "accuracy distribution over many chip instances (Monte-Carlo yield; mpirun splits the chips)",
     xbar::tools::RunYield},
    {"report", "figures (gnuplot: SVG, PNG) and a one-page HTML report of a programmed chip", xbar::tools::RunReport},
    {"spice", "ngspice netlists of a tile or of the MIF neuron (--run checks them)", xbar::tools::RunSpice},
    {"tile-solve", "column currents of a crossbar tile with IR drop (exact nodal solve)", xbar::tools::RunTileSolve},
};

void PrintHelp(std::ostream& out) {
  out << "usage: xbar <command> [options]   (xbar <command> --help for its options)\n\n"
         "xbar deploys fully memristive spiking networks onto memristive crossbar chips.\n\n"
         "commands:\n";
  for (const auto& c : kSubcommands) {
    out << "  " << c.name << std::string(12 - std::strlen(c.name), ' ') << c.summary << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintHelp(std::cerr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    PrintHelp(std::cout);
    return 0;
  }
  if (command == "--version") {
    std::cout << "xbar 0.1.0\n";
    return 0;
  }
  for (const auto& c : kSubcommands) {
    if (command == c.name) return c.run(argc - 1, argv + 1);
  }
  std::cerr << "xbar: error: unknown command '" << command << "' (see xbar --help)\n";
  return 2;
}
