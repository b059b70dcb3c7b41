// Chip descriptions: the shipped chips, round trip, overrides, and the exact message of every diagnostic.
#include "compiler/chip_io.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "support/file_io.h"
#include "tests/testing/temp.h"

namespace xbar::compiler {
namespace {

namespace dm = device_models;
namespace fs = std::filesystem;

std::string ChipPath(const std::string& name) {
  return (fs::path(XBAR_SOURCE_DIR) / "chips" / name).string();
}

std::string TempPath(const std::string& name) {
  return (::xbar::testing::TempDir() / ("xbar_chip_" + name)).string();
}

// Writes `text` to a temporary file and reads it as a chip; the file is removed again.
Expected<dm::ChipSpec> ReadText(const std::string& name, const std::string& text) {
  const std::string path = TempPath(name);
  XBAR_CHECK(WriteFileAtomic(path, text).has_value());
  auto chip = ReadChipText(path);
  fs::remove(path);
  return chip;
}

// Tiles a fully connected layer needs: rows are inputs, `columns_per_neuron` columns per output.
int TilesFor(const dm::ChipSpec& chip, int inputs, int outputs) {
  const int rows = chip.tiles.usable_rows();
  const int cols = chip.tiles.usable_columns();
  const int columns = outputs * chip.columns_per_neuron;
  return ((inputs + rows - 1) / rows) * ((columns + cols - 1) / cols);
}

void ExpectSamePulse(const dm::PulseResponse& a, const dm::PulseResponse& b) {
  EXPECT_EQ(a.v_threshold_v, b.v_threshold_v);
  EXPECT_EQ(a.v_ref_v, b.v_ref_v);
  EXPECT_EQ(a.width_ref_s, b.width_ref_s);
  EXPECT_EQ(a.step_ref, b.step_ref);
  EXPECT_EQ(a.amplitude_exponent, b.amplitude_exponent);
  EXPECT_EQ(a.bound_exponent, b.bound_exponent);
  EXPECT_EQ(a.step_std, b.step_std);
}

void ExpectSameLaw(const dm::ClippedLogLaw& a, const dm::ClippedLogLaw& b) {
  EXPECT_EQ(a.slope, b.slope);
  EXPECT_EQ(a.intercept, b.intercept);
  EXPECT_EQ(a.min, b.min);
  EXPECT_EQ(a.max, b.max);
}

// Field by field, so that a field the writer or the reader forgets fails here.
void ExpectSameChip(const dm::ChipSpec& a, const dm::ChipSpec& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.tiles.count, b.tiles.count);
  EXPECT_EQ(a.tiles.rows, b.tiles.rows);
  EXPECT_EQ(a.tiles.columns, b.tiles.columns);
  EXPECT_EQ(a.tiles.spare_rows, b.tiles.spare_rows);
  EXPECT_EQ(a.tiles.spare_columns, b.tiles.spare_columns);
  EXPECT_EQ(a.conductance_levels, b.conductance_levels);
  EXPECT_EQ(a.wires.r_row_ohm, b.wires.r_row_ohm);
  EXPECT_EQ(a.wires.r_col_ohm, b.wires.r_col_ohm);
  EXPECT_EQ(a.wires.r_driver_ohm, b.wires.r_driver_ohm);
  EXPECT_EQ(a.wires.r_sense_ohm, b.wires.r_sense_ohm);
  EXPECT_EQ(a.v_read_v, b.v_read_v);
  EXPECT_EQ(a.programming.v_min_v, b.programming.v_min_v);
  EXPECT_EQ(a.programming.v_max_v, b.programming.v_max_v);
  EXPECT_EQ(a.programming.v_step_v, b.programming.v_step_v);
  EXPECT_EQ(a.programming.set_width_s, b.programming.set_width_s);
  EXPECT_EQ(a.programming.reset_width_s, b.programming.reset_width_s);
  EXPECT_EQ(a.programming.verify_tolerance_s, b.programming.verify_tolerance_s);
  EXPECT_EQ(a.programming.max_pulses, b.programming.max_pulses);
  EXPECT_EQ(a.adc.verify_bits, b.adc.verify_bits);
  EXPECT_EQ(a.adc.verify_full_scale_a, b.adc.verify_full_scale_a);
  EXPECT_EQ(a.adc.output_bits, b.adc.output_bits);
  EXPECT_EQ(a.adc.output_full_scale_mv, b.adc.output_full_scale_mv);
  EXPECT_EQ(a.clock_hz, b.clock_hz);
  EXPECT_EQ(a.columns_per_neuron, b.columns_per_neuron);
  EXPECT_EQ(a.neurons, b.neurons);
  EXPECT_EQ(a.analog.membrane_capacitance_f, b.analog.membrane_capacitance_f);
  EXPECT_EQ(a.analog.time_step_s, b.analog.time_step_s);
  EXPECT_EQ(a.analog.rail_low_v, b.analog.rail_low_v);
  EXPECT_EQ(a.analog.rail_high_v, b.analog.rail_high_v);
  EXPECT_EQ(a.analog.driver_gain, b.analog.driver_gain);
  EXPECT_EQ(a.analog.driver_range_v, b.analog.driver_range_v);
  EXPECT_EQ(a.analog.read_disturb_fraction, b.analog.read_disturb_fraction);
  EXPECT_EQ(a.analog.synapse_capacitance_f, b.analog.synapse_capacitance_f);
  EXPECT_EQ(a.analog.synapse_transconductance_s, b.analog.synapse_transconductance_s);
  EXPECT_EQ(a.analog.current_gain_max, b.analog.current_gain_max);
  const dm::MifParams &n = a.neuron, &m = b.neuron;
  EXPECT_EQ(n.r_on_ohm, m.r_on_ohm);
  EXPECT_EQ(n.r_off_ohm, m.r_off_ohm);
  EXPECT_EQ(n.v_on_mv, m.v_on_mv);
  EXPECT_EQ(n.v_off_mv, m.v_off_mv);
  EXPECT_EQ(n.tau_steps, m.tau_steps);
  EXPECT_EQ(n.tau_alpha_steps, m.tau_alpha_steps);
  EXPECT_EQ(n.e1_mv, m.e1_mv);
  EXPECT_EQ(n.e2_mv, m.e2_mv);
  EXPECT_EQ(n.c, m.c);
  EXPECT_EQ(n.k_mv, m.k_mv);
  EXPECT_EQ(n.x0, m.x0);
  EXPECT_EQ(n.membrane_update, m.membrane_update);
  EXPECT_EQ(a.device.preset, b.device.preset);
  const dm::MemristorParams &p = a.device.memristor, &q = b.device.memristor;
  EXPECT_EQ(p.g_min_s, q.g_min_s);
  EXPECT_EQ(p.g_max_s, q.g_max_s);
  ExpectSamePulse(p.set, q.set);
  ExpectSamePulse(p.reset, q.reset);
  EXPECT_EQ(p.g_min_dtod, q.g_min_dtod);
  EXPECT_EQ(p.g_max_dtod, q.g_max_dtod);
  EXPECT_EQ(p.step_dtod, q.step_dtod);
  EXPECT_EQ(p.set_reset_dtod, q.set_reset_dtod);
  EXPECT_EQ(p.v_threshold_dtod, q.v_threshold_dtod);
  const dm::Nonidealities &u = a.device.nonidealities, &v = b.device.nonidealities;
  EXPECT_EQ(u.programming.enabled, v.programming.enabled);
  EXPECT_EQ(u.programming.sigma_poly_s, v.programming.sigma_poly_s);
  EXPECT_EQ(u.programming.g_ref_s, v.programming.g_ref_s);
  EXPECT_EQ(u.read.enabled, v.read.enabled);
  EXPECT_EQ(u.read.sigma_rel, v.read.sigma_rel);
  EXPECT_EQ(u.read.sigma_abs_s, v.read.sigma_abs_s);
  EXPECT_EQ(u.read.q_coeff, v.read.q_coeff);
  EXPECT_EQ(u.read.q_exponent, v.read.q_exponent);
  EXPECT_EQ(u.read.q_max, v.read.q_max);
  EXPECT_EQ(u.read.g_ref_s, v.read.g_ref_s);
  EXPECT_EQ(u.read.t_read_s, v.read.t_read_s);
  EXPECT_EQ(u.drift.enabled, v.drift.enabled);
  EXPECT_EQ(u.drift.t0_s, v.drift.t0_s);
  ExpectSameLaw(u.drift.nu_mean, v.drift.nu_mean);
  ExpectSameLaw(u.drift.nu_std, v.drift.nu_std);
  EXPECT_EQ(u.drift.g_ref_s, v.drift.g_ref_s);
  EXPECT_EQ(u.drift.fold, v.drift.fold);
  EXPECT_EQ(u.stuck.enabled, v.stuck.enabled);
  EXPECT_EQ(u.stuck.p_stuck_on, v.stuck.p_stuck_on);
  EXPECT_EQ(u.stuck.p_stuck_off, v.stuck.p_stuck_off);
  EXPECT_EQ(u.stuck.p_stuck_value, v.stuck.p_stuck_value);
}

// A valid chip in which every field differs from the default chip (and from zero where the
// default is not zero), with values that do not print exactly in decimal.
dm::ChipSpec EveryFieldChanged() {
  dm::ChipSpec c;
  c.name = "every field \"quoted\"";
  c.tiles = {.count = 7, .rows = 200, .columns = 96, .spare_rows = 0, .spare_columns = 3};
  c.conductance_levels = 9;
  c.wires = {.r_row_ohm = 1.0 / 3, .r_col_ohm = 0, .r_driver_ohm = 123.456, .r_sense_ohm = 7e-3};
  c.v_read_v = 0.15;
  c.programming = {.v_min_v = 0.5, .v_max_v = 2.9, .v_step_v = 0.1 / 3, .set_width_s = 70e-9,
                   .reset_width_s = 35e-9, .verify_tolerance_s = 0.7e-6, .max_pulses = 17};
  c.adc = {.verify_bits = 11, .verify_full_scale_a = 1e-5, .output_bits = 12,
           .output_full_scale_mv = 333.25};
  c.clock_hz = 250e6;
  c.columns_per_neuron = 1;
  c.neurons = 5000;
  c.neuron = {.r_on_ohm = 2e3, .r_off_ohm = 3e5, .v_on_mv = 100, .v_off_mv = 4, .tau_steps = 90,
              .tau_alpha_steps = 80, .e1_mv = -1, .e2_mv = 40, .c = 2e-4, .k_mv = 12, .x0 = 0,
              .membrane_update = dm::MembraneUpdate::kExplicit};
  c.analog = {.membrane_capacitance_f = 0.5e-12, .time_step_s = 2e-6 / 3, .rail_low_v = -0.7,
              .rail_high_v = 0.9, .driver_gain = 1.0 / 7, .driver_range_v = 0.3,
              .read_disturb_fraction = 0.8, .synapse_capacitance_f = 2e-12, .synapse_transconductance_s = 3e-6,
              .current_gain_max = 9.5};
  c.device.preset = "rram-hfo2-wan2022";
  dm::MemristorParams& m = c.device.memristor;
  m.g_min_s = 0;
  m.g_max_s = 30e-6;
  m.set = {.v_threshold_v = 0.75, .v_ref_v = 1.1, .width_ref_s = 90e-9, .step_ref = 0.04,
           .amplitude_exponent = 1.5, .bound_exponent = 0.5, .step_std = 0.3};
  m.reset = {.v_threshold_v = 0.95, .v_ref_v = 1.4, .width_ref_s = 80e-9, .step_ref = 0.06,
             .amplitude_exponent = 2.5, .bound_exponent = 0, .step_std = 0.25};
  m.g_min_dtod = 0.11;
  m.g_max_dtod = 0.12;
  m.step_dtod = 0.13;
  m.set_reset_dtod = 0.14;
  m.v_threshold_dtod = 0.15;
  dm::Nonidealities& n = c.device.nonidealities;
  n.programming = {.enabled = false, .sigma_poly_s = {1e-7, -2e-7, 3e-7, -4e-7, 5e-7},
                   .g_ref_s = 33e-6};
  n.read = {.enabled = false, .sigma_rel = 0.02, .sigma_abs_s = 1e-8, .q_coeff = 0.005,
            .q_exponent = 0.6, .q_max = 0.3, .g_ref_s = 31e-6, .t_read_s = 300e-9};
  n.drift = {.enabled = false, .t0_s = 2.5, .nu_mean = {-0.01, 0.02, 0.0, 0.09},
             .nu_std = {-0.011, 0.003, 0.004, 0.04}, .g_ref_s = 29e-6, .fold = true};
  n.stuck = {.enabled = false, .p_stuck_on = 0.01, .p_stuck_off = 0.02, .p_stuck_value = 0.03};
  return c;
}

TEST(ChipIo, ShippedChipsParseAndValidate) {
  auto small = ReadChipText(ChipPath("default.textproto"));
  ASSERT_TRUE(small.has_value()) << small.error().message;
  EXPECT_EQ(small->name, "xbar-default-128");
  EXPECT_EQ(small->device.preset, "pcm-nandakumar2019");
  EXPECT_EQ(small->device.memristor.g_max_s, 25e-6);
  // MNIST 784-1024-10 in differential pairs spans several tiles and fits with room to spare.
  const int mnist = TilesFor(*small, 784, 1024) + TilesFor(*small, 1024, 10);
  EXPECT_EQ(mnist, 128);
  EXPECT_LE(2 * mnist, small->tiles.count);

  auto large = ReadChipText(ChipPath("large.textproto"));
  ASSERT_TRUE(large.has_value()) << large.error().message;
  EXPECT_EQ(large->tiles.rows, 512);
  EXPECT_EQ(large->tiles.columns, 512);
  EXPECT_EQ(large->device.preset, "rram-hfo2-wan2022");
  EXPECT_EQ(large->device.nonidealities.stuck.p_stuck_on, 0.0904);
  EXPECT_EQ(TilesFor(*large, 784, 1024) + TilesFor(*large, 1024, 10), 13);
  EXPECT_EQ(large->programming.AmplitudeCount(), 46);
  EXPECT_EQ(large->neuron.e2_mv, 50);  // left out: the default chip's neuron
}

TEST(ChipIo, DefaultFileIsTheBuiltInDefault) {
  ASSERT_TRUE(dm::ChipSpec{}.Validate().has_value());
  auto chip = ReadChipText(ChipPath("default.textproto"));
  ASSERT_TRUE(chip.has_value()) << chip.error().message;
  ExpectSameChip(*chip, dm::ChipSpec{});
  // And an empty description is the default chip too.
  auto empty = ParseChipText("", "empty");
  ASSERT_TRUE(empty.has_value()) << empty.error().message;
  ExpectSameChip(*empty, dm::ChipSpec{});
}

TEST(ChipIo, RoundTripsEveryField) {
  const dm::ChipSpec chip = EveryFieldChanged();
  ASSERT_TRUE(chip.Validate().has_value()) << chip.Validate().error().message;
  const std::string path = TempPath("round_trip.textproto");
  ASSERT_TRUE(WriteChipText(path, chip).has_value());
  auto back = ReadChipText(path);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  ExpectSameChip(*back, chip);
  // The written file is a plain text format file with its schema named on top, and writing what
  // was read gives the same bytes.
  const std::string text = *ReadFile(path);
  EXPECT_EQ(text.rfind("# proto-file: xbar/v1/chip.proto\n# proto-message: xbar.v1.Chip\n", 0), 0u);
  EXPECT_NE(text.find("preset: \"rram-hfo2-wan2022\""), std::string::npos);
  EXPECT_EQ(FormatChipText(*back), text);
  fs::remove(path);
}

TEST(ChipIo, PresetThenOverrides) {
  auto chip = ParseChipText(R"(
    v_read_v: 0.1
    programming { v_min_v: 0.7 v_max_v: 1.6 v_step_v: 0.02 set_width_s: 100e-9 reset_width_s: 100e-9 }
    device {
      preset: "rram-hfo2-wan2022"
      memristor { g_max_s: 50e-6 reset { step_std: 0.1 } }
      programming_noise { sigma_coefficients_s: [1e-7, 2e-7] }
      stuck_at { enabled: false }
    })",
                            "override");
  ASSERT_TRUE(chip.has_value()) << chip.error().message;
  const dm::DevicePreset rram = dm::RramHfO2Wan2022();
  const auto& d = chip->device;
  EXPECT_EQ(d.preset, "rram-hfo2-wan2022");
  EXPECT_EQ(d.memristor.g_max_s, 50e-6);                      // overridden
  EXPECT_EQ(d.memristor.g_min_s, rram.memristor.g_min_s);     // from the preset
  EXPECT_EQ(d.memristor.reset.step_std, 0.1);                 // overridden inside a nested message
  EXPECT_EQ(d.memristor.reset.v_threshold_v, rram.memristor.reset.v_threshold_v);
  EXPECT_EQ(d.nonidealities.programming.sigma_poly_s,
            (std::array<double, 5>{1e-7, 2e-7, 0, 0, 0}));    // a given polynomial replaces it
  EXPECT_FALSE(d.nonidealities.stuck.enabled);
  EXPECT_EQ(d.nonidealities.stuck.p_stuck_on, rram.nonidealities.stuck.p_stuck_on);
  EXPECT_EQ(d.nonidealities.drift.nu_std.slope, rram.nonidealities.drift.nu_std.slope);
  EXPECT_EQ(chip->tiles.count, dm::ChipSpec{}.tiles.count);  // outside the device: the default
}

TEST(ChipIo, RefusesToWriteAnInvalidChip) {
  dm::ChipSpec chip;
  chip.tiles.count = 0;
  const std::string path = TempPath("invalid.textproto");
  auto r = WriteChipText(path, chip);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, path + ": tiles.count = 0 must be at least 1 (a chip needs a tile)");
  EXPECT_FALSE(fs::exists(path));
  auto bad_dir = WriteChipText("/nonexistent-dir/chip.textproto", dm::ChipSpec{});
  ASSERT_FALSE(bad_dir.has_value());
  EXPECT_FALSE(fs::exists("/nonexistent-dir"));
}

TEST(ChipIo, MissingFileBad) {
  auto r = ReadChipText("/nonexistent/chip.textproto");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message, "/nonexistent/chip.textproto: cannot open (No such file or directory)");
}

// Syntax errors point at line and column (1-based) of the file.
TEST(ChipIo, SyntaxErrorsBad) {
  struct Case {
    const char* name;
    const char* text;
    const char* message;  // after "path:"
  };
  const std::vector<Case> cases = {
      {"typo", "name: \"x\"\ntiles {\n  count 256\n}\n", "3:9: expected \":\", found \"256\""},
      {"unknown_field", "tiles {\n  count: 4\n}\ntile_rows: 64\n",
       "4:1: message type \"xbar.v1.Chip\" has no field named \"tile_rows\""},
      {"unknown_nested_field", "# comment: with colon\ndevice {\n  drift { t_0_s: 20 }\n}\n",
       "3:11: message type \"xbar.v1.Drift\" has no field named \"t_0_s\""},
      {"bad_enum", "neuron {\n  membrane_update: MEMBRANE_UPDATE_SEMI\n}\n",
       "2:20: unknown enumeration value of \"MEMBRANE_UPDATE_SEMI\" for field \"membrane_update\""},
      {"bad_enum_at_end", "neuron { membrane_update: SEMI",
       "1:27: unknown enumeration value of \"SEMI\" for field \"membrane_update\""},
      {"bad_bool", "device { drift {\n  fold: maybe\n} }",
       "2:9: invalid value for boolean field \"fold\". Value: \"maybe\""},
      {"unterminated", "device { preset: \"pcm-nandakumar2019\"\n",
       "2:1: expected identifier, got:"},
      {"unterminated_string", "name: \"abc\n",
       "1:11: string literals cannot cross line boundaries"},
      {"string_for_number", "clock_hz: \"fast\"", "1:11: expected double, got: \"fast\""},
      {"too_big_for_uint32", "tiles { count: 99999999999 }",
       "1:16: integer out of range (99999999999)"},
      {"negative_count", "tiles { count: -1 }", "1:16: expected integer, got: -"},
      {"repeated_scalar", "v_read_v: 0.2\nv_read_v: 0.3\n",
       "2:1: non-repeated field \"v_read_v\" is specified multiple times"},
  };
  for (const Case& c : cases) {
    const std::string path = TempPath(std::string(c.name) + ".textproto");
    ASSERT_TRUE(WriteFileAtomic(path, c.text).has_value());
    auto r = ReadChipText(path);
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss) << c.name;
    EXPECT_EQ(r.error().message, path + ":" + c.message) << c.name;
    fs::remove(path);
  }
}

TEST(ChipIo, UnknownPresetBad) {
  const std::string path = TempPath("unknown_preset.textproto");
  ASSERT_TRUE(WriteFileAtomic(path, "name: \"x\"\ndevice {\n  preset: \"pcm\"\n}\n").has_value());
  auto r = ReadChipText(path);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(r.error().message,
            path + ":3:3: unknown device preset 'pcm' (use one of: pcm-nandakumar2019, "
                   "rram-hfo2-wan2022)");
  fs::remove(path);
}

TEST(ChipIo, ConversionErrorsBad) {
  auto r = ReadText("unspecified.textproto", "neuron { membrane_update: MEMBRANE_UPDATE_UNSPECIFIED }");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            TempPath("unspecified.textproto") +
                ":1:10: neuron.membrane_update must be MEMBRANE_UPDATE_IMPLICIT or "
                "MEMBRANE_UPDATE_EXPLICIT");
  r = ReadText("int_max.textproto", "tiles {\n  rows: 4294967295\n}\n");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, TempPath("int_max.textproto") +
                                   ":2:3: tiles.rows = 4294967295 is out of range (above 2147483647)");
  r = ReadText("poly.textproto",
               "device {\n  programming_noise {\n    sigma_coefficients_s: [1, 2, 3, 4, 5, 6]\n  }\n}\n");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            TempPath("poly.textproto") +
                ":3:5: device.programming_noise.sigma_coefficients_s has 6 coefficients but the "
                "polynomial has at most 5 (c_0 ... c_4)");
  r = ReadText("poly_lines.textproto",
               "device { programming_noise {\n" + std::string(6, ' ') +
                   "sigma_coefficients_s: 1 sigma_coefficients_s: 2 sigma_coefficients_s: 3\n"
                   "sigma_coefficients_s: 4 sigma_coefficients_s: 5 sigma_coefficients_s: 6\n} }\n");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            TempPath("poly_lines.textproto") +
                ":3:49: device.programming_noise.sigma_coefficients_s has 6 coefficients but the "
                "polynomial has at most 5 (c_0 ... c_4)");
}

// Every diagnostic of ChipSpec::Validate, through the file reader: `path: message`.
TEST(ChipIo, NonPhysicalValuesBad) {
  struct Case {
    const char* text;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"tiles { count: 0 }", "tiles.count = 0 must be at least 1 (a chip needs a tile)"},
      {"tiles { count: 2000000 }", "tiles.count = 2000000 must lie in [1, 1048576]"},
      {"tiles { rows: 0 }", "tiles.rows = 0 must lie in [1, 16384]"},
      {"tiles { columns: 20000 }", "tiles.columns = 20000 must lie in [1, 16384]"},
      {"tiles { rows: 8 spare_rows: 8 }",
       "tiles.spare_rows = 8 must lie in [0, 7] (leave at least one usable row)"},
      {"tiles { columns: 8 spare_columns: 9 }",
       "tiles.spare_columns = 9 must lie in [0, 7] (leave at least one usable column)"},
      {"conductance_levels: 1", "conductance_levels = 1 must lie in [2, 65536]"},
      {"neurons: 0", "neurons = 0 must lie in [1, 1073741824]"},
      {"columns_per_neuron: 3",
       "columns_per_neuron = 3 must be 1 (single column) or 2 (differential pair)"},
      {"tiles { columns: 2 spare_columns: 1 }",
       "columns_per_neuron = 2 exceeds the usable columns of a tile, 1"},
      {"wires { r_row_ohm: -1.5 }",
       "wires.r_row_ohm = -1.5 ohm must be finite and at least 0 (0 is a direct connection)"},
      {"wires { r_sense_ohm: inf }",
       "wires.r_sense_ohm = inf ohm must be finite and at least 0 (0 is a direct connection)"},
      {"device { memristor { g_min_s: 30e-6 } }",
       "device: memristor g_max_s = 2.5e-05 must be finite and above g_min_s = 3e-05"},
      {"device { memristor { g_max_s: 0.1e-6 } }",
       "device: memristor g_max_s = 1e-07 must be finite and above g_min_s = 1e-07"},
      {"device { stuck_at { p_stuck_on: 0.6 p_stuck_off: 0.6 } }",
       "device: stuck-at rates add up to 1.2 but must not exceed 1"},
      {"device { read_noise { t_read_s: 0 } }",
       "device: read noise t_read_s = 0 must be positive and finite"},
      {"neuron { r_on_ohm: 0 }", "neuron r_on_ohm = 0 must be positive and finite"},
      {"clock_hz: 0", "clock_hz = 0 Hz must be positive and finite"},
      {"analog { membrane_capacitance_f: -1e-12 }",
       "analog.membrane_capacitance_f = -1e-12 F must be positive and finite"},
      {"analog { time_step_s: 0 }", "analog.time_step_s = 0 s must be positive and finite"},
      {"analog { driver_gain: nan }", "analog.driver_gain = nan V/V must be positive and finite"},
      {"analog { read_disturb_fraction: 1.5 }", "analog.read_disturb_fraction = 1.5 must lie in (0, 1]"},
      {"analog { synapse_capacitance_f: 0 }", "analog.synapse_capacitance_f = 0 F must be positive and finite"},
      {"analog { synapse_transconductance_s: -1e-5 }",
       "analog.synapse_transconductance_s = -1e-05 S must be positive and finite"},
      {"analog { current_gain_max: inf }", "analog.current_gain_max = inf A/A must be positive and finite"},
      {"analog { rail_low_v: 0.01 }",
       "analog rails [0.01, 1] V must contain the neuron's branch sources E1 = 0 V and E2 = 0.05 V"},
      {"analog { rail_high_v: 0.04 }",
       "analog rails [-1, 0.04] V must contain the neuron's branch sources E1 = 0 V and E2 = 0.05 V"},
      {"analog { driver_range_v: 0.6 }",
       "analog.driver_range_v = 0.6 V exceeds the read-disturb limit 0.5 V (0.5 of the device's lower "
       "switching threshold 1 V): hidden-layer reads would disturb the cells"},
      {"clock_hz: 2e10", "clock_hz = 2e+10 Hz must not exceed 1e+10 Hz"},
      {"programming { v_min_v: 0 }", "programming.v_min_v = 0 V must be positive and finite"},
      {"programming { v_min_v: 2.5 v_max_v: 2.0 }",
       "programming.v_min_v = 2.5 V must not exceed v_max_v = 2 V"},
      {"programming { v_step_v: 0 }", "programming.v_step_v = 0 V must be positive and finite"},
      {"programming { v_step_v: 2 }",
       "programming.v_step_v = 2 V must not exceed v_max_v - v_min_v = 1.4 V (the ladder would "
       "have one rung)"},
      {"programming { set_width_s: -5e-8 }",
       "programming.set_width_s = -5e-08 s must be positive and finite"},
      {"programming { verify_tolerance_s: 0 }",
       "programming.verify_tolerance_s = 0 S must be positive and finite"},
      {"programming { max_pulses: 0 }", "programming.max_pulses = 0 must lie in [1, 1000000]"},
      {"adc { verify_bits: 0 }", "adc.verify_bits = 0 must lie in [1, 24]"},
      {"adc { verify_bits: 25 }", "adc.verify_bits = 25 must lie in [1, 24]"},
      {"adc { output_bits: 32 }", "adc.output_bits = 32 must lie in [1, 24]"},
      {"adc { output_full_scale_mv: -1 }",
       "adc.output_full_scale_mv = -1 mV must be positive and finite"},
      {"v_read_v: 0", "v_read_v = 0 V must be positive and finite"},
      {"v_read_v: 1.2",
       "v_read_v = 1.2 V must be below the device's set threshold 1 V (a read would program the "
       "cell)"},
      {"programming { v_max_v: 1.5 }",
       "programming.v_max_v = 1.5 V must exceed the device's reset threshold 1.6 V (no pulse could "
       "lower a conductance)"},
      {"programming { v_min_v: 0.5 v_max_v: 0.9 v_step_v: 0.1 }",
       "programming.v_max_v = 0.9 V must exceed the device's set threshold 1 V (no pulse could "
       "raise a conductance)"},
      {"programming { reset_width_s: 5e-9 }",
       "programming.reset_width_s = 5e-09 s is shorter than one clock period 1e-08 s (raise "
       "clock_hz or the width)"},
      {"programming { verify_tolerance_s: 1e-6 }",
       "programming.verify_tolerance_s = 1e-06 S must not exceed half the level spacing, 8.3e-07 S "
       "(adjacent levels would overlap; lower it or conductance_levels)"},
      {"adc { verify_full_scale_a: 4e-6 }",
       "adc.verify_full_scale_a = 4e-06 A must be at least g_max_s x v_read_v = 5e-06 A (the top "
       "of the window would clip)"},
      {"adc { verify_bits: 4 }",
       "adc.verify_bits = 4 resolves only 2e-06 S per code at v_read_v, coarser than "
       "programming.verify_tolerance_s = 5e-07 S (use more bits or a smaller "
       "verify_full_scale_a)"},
  };
  for (const Case& c : cases) {
    const std::string name = "nonphysical.textproto";
    auto r = ReadText(name, c.text);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss) << c.text;
    EXPECT_EQ(r.error().message, TempPath(name) + ": " + c.message) << c.text;
  }
}

TEST(ChipSpec, DerivedQuantities) {
  const dm::ChipSpec chip;
  EXPECT_EQ(chip.tiles.usable_rows(), 124);
  EXPECT_EQ(chip.UsableCells(), int64_t{256} * 124 * 124);
  EXPECT_EQ(chip.programming.AmplitudeCount(), 29);  // 1.0, 1.05, ..., 2.4 V
  EXPECT_NEAR(chip.programming.Amplitude(28), 2.4, 1e-12);
  EXPECT_NEAR(chip.LevelSpacingS(), 24.9e-6 / 15, 1e-18);
  EXPECT_EQ(chip.LevelS(0), chip.device.memristor.g_min_s);
  EXPECT_NEAR(chip.LevelS(15), chip.device.memristor.g_max_s, 1e-18);
  EXPECT_DOUBLE_EQ(chip.adc.VerifyLsbS(chip.v_read_v), 6.4e-6 / 256 / 0.2);
}

}  // namespace
}  // namespace xbar::compiler
