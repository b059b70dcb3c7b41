// Plan files (.xbp): conversion between compiler::Plan and xbar.v1.Plan.
#include "compiler/plan_io.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <climits>

#include "compiler/chip_io.h"
#include "compiler/network_io.h"
#include "support/file_io.h"
#include "xbar/v1/plan.pb.h"

namespace xbar::compiler {
namespace {

namespace dm = device_models;

constexpr ArtifactKind kPlanKind{"XBP1", "plan", 1};

int Int(uint32_t v) { return static_cast<int>(std::min<uint32_t>(v, INT_MAX)); }

}  // namespace

Expected<void> WritePlan(const std::string& path, const Plan& plan) {
  if (auto ok = plan.Validate(); !ok) return std::unexpected(WithContext(ok.error(), path));
  v1::Plan p;
  p.set_model_name(plan.model_name);
  NeuronToProto(plan.neuron, p.mutable_neuron());
  EncodingToProto(plan.encoding, p.mutable_encoding());
  // The chip's text form is the one complete ChipSpec -> xbar.v1.Chip conversion (chip_io).
  XBAR_CHECK(google::protobuf::TextFormat::ParseFromString(FormatChipText(plan.chip), p.mutable_chip()));
  // The neuron budget is left out at the default chip's value (as a chip file may leave it out),
  // so plans of chips described before the budget existed keep their bytes.
  if (plan.chip.neurons == dm::ChipSpec{}.neurons) p.mutable_chip()->clear_neurons();
  // So is the analog chain at the default chip's (the chip's neuron in SI units, issue 15).
  if (plan.chip.analog == dm::AnalogSpec{}) p.mutable_chip()->clear_analog();
  const bool geometry = !plan.IsPlainDense() || !plan.populations.empty();
  p.set_scheme(plan.scheme == MappingScheme::kDifferential ? v1::MAPPING_SCHEME_DIFFERENTIAL
                                                           : v1::MAPPING_SCHEME_OFFSET);
  p.set_scale_granularity(plan.scale_granularity == ScaleGranularity::kLayer ? v1::SCALE_GRANULARITY_LAYER
                                                                             : v1::SCALE_GRANULARITY_COLUMN);
  p.set_clip_mode(plan.clip_mode == ClipMode::kMax     ? v1::CLIP_MODE_MAX
                  : plan.clip_mode == ClipMode::kValue ? v1::CLIP_MODE_VALUE
                                                       : v1::CLIP_MODE_PERCENTILE);
  p.set_clip_value(plan.clip_value);
  p.set_clip_percentile(plan.clip_percentile);
  p.set_compensated(plan.compensated);
  for (std::size_t li = 0; li < plan.layers.size(); ++li) {
    const PlanLayer& layer = plan.layers[li];
    auto* l = p.add_layers();
    l->set_inputs(static_cast<uint32_t>(layer.inputs));
    l->set_outputs(static_cast<uint32_t>(layer.outputs));
    for (double s : layer.scale) l->add_scales(s);
    for (double c : layer.clip) l->add_clips(c);
    l->set_reference_level(layer.reference_level);
    for (int t : layer.tiles) l->add_tiles(static_cast<uint32_t>(t));
    l->set_rms_error(layer.rms_error);
    l->set_max_abs_error(layer.max_abs_error);
    l->set_clipped_fraction(layer.clipped_fraction);
    if (geometry) {
      LayerShapeToProto(layer.shape, l->mutable_geometry());
      l->mutable_geometry()->set_inputs(static_cast<uint32_t>(layer.inputs));
      l->mutable_geometry()->set_outputs(static_cast<uint32_t>(layer.outputs));
      if (!plan.populations.empty()) {
        PopulationToProto(plan.populations[li], l->mutable_geometry()->mutable_population());
      }
    }
    if (layer.replicas != 1) l->set_replicas(static_cast<uint32_t>(layer.replicas));
  }
  for (const PlanTile& tile : plan.tiles) {
    auto* t = p.add_tiles();
    t->set_layer(static_cast<uint32_t>(tile.layer));
    t->set_physical_index(static_cast<uint32_t>(tile.physical_index < 0 ? UINT32_MAX : tile.physical_index));
    t->set_row_offset(static_cast<uint32_t>(tile.row_offset));
    t->set_column_offset(static_cast<uint32_t>(tile.column_offset));
    t->set_rows(static_cast<uint32_t>(tile.rows));
    t->set_outputs(static_cast<uint32_t>(tile.outputs));
    t->set_used_columns(static_cast<uint32_t>(tile.used_columns));
    t->set_spare_rows(static_cast<uint32_t>(tile.spare_rows));
    t->set_spare_columns(static_cast<uint32_t>(tile.spare_columns));
    t->mutable_levels()->Reserve(tile.rows * tile.used_columns);
    t->mutable_target_conductances_s()->Reserve(tile.rows * tile.used_columns);
    const Eigen::MatrixXi levels = tile.UsedBlock(tile.levels);
    const Eigen::MatrixXd targets = tile.UsedBlock(tile.target_g_s);
    for (int r = 0; r < tile.rows; ++r) {
      for (int c = 0; c < tile.used_columns; ++c) {
        t->add_levels(static_cast<uint32_t>(levels(r, c)));
        t->add_target_conductances_s(targets(r, c));
      }
    }
    if (!tile.IsTopLeft()) {
      for (int line : tile.row_map) t->add_row_map(static_cast<uint32_t>(line));
      for (int line : tile.column_map) t->add_column_map(static_cast<uint32_t>(line));
    }
    t->set_residual_before(tile.residual_before);
    t->set_residual_after(tile.residual_after);
    t->set_compensation_iterations(static_cast<uint32_t>(tile.compensation_iterations));
    t->set_replica(static_cast<uint32_t>(tile.replica));
  }
  for (const PassReport& report : plan.passes) {
    auto* s = p.add_passes();
    s->set_pass(report.pass);
    s->set_seconds(report.seconds);
    for (const Statistic& stat : report.statistics) {
      auto* st = s->add_statistics();
      st->set_name(stat.name);
      st->set_value(stat.value);
      st->set_unit(stat.unit);
    }
  }
  p.set_compile_seconds(plan.compile_seconds);
  if (plan.faults_chip_seed) p.set_faults_chip_seed(*plan.faults_chip_seed);
  if (plan.conv_replicas != 1) p.set_conv_replicas(static_cast<uint32_t>(plan.conv_replicas));
  std::string payload;
  if (!p.SerializeToString(&payload)) return Fail(ErrorCode::kInternal, path + ": cannot serialise plan");
  return WriteArtifact(path, kPlanKind, payload);
}

Expected<Plan> ParsePlan(std::string_view bytes, const std::string& path) {
  auto payload = ParseArtifact(bytes, kPlanKind, path);
  if (!payload) return std::unexpected(payload.error());
  auto bad = [&](const std::string& what) { return Fail(ErrorCode::kDataLoss, path + ": " + what); };
  v1::Plan p;
  if (!p.ParseFromString(*payload)) return bad("plan payload is not a valid xbar.v1.Plan");
  Plan plan;
  plan.model_name = p.model_name();
  plan.neuron = NeuronFromProto(p.neuron());
  auto encoding = EncodingFromProto(p.encoding(), path);
  if (!encoding) return std::unexpected(encoding.error());
  plan.encoding = *encoding;
  std::string chip_text;
  XBAR_CHECK(google::protobuf::TextFormat::PrintToString(p.chip(), &chip_text));
  auto chip = ParseChipText(chip_text, path + ": embedded chip");
  if (!chip) return std::unexpected(chip.error());
  plan.chip = *chip;
  switch (p.scheme()) {
    case v1::MAPPING_SCHEME_DIFFERENTIAL: plan.scheme = MappingScheme::kDifferential; break;
    case v1::MAPPING_SCHEME_OFFSET: plan.scheme = MappingScheme::kOffset; break;
    default: return bad("mapping scheme " + std::to_string(p.scheme()) + " is not supported");
  }
  switch (p.scale_granularity()) {
    case v1::SCALE_GRANULARITY_LAYER: plan.scale_granularity = ScaleGranularity::kLayer; break;
    case v1::SCALE_GRANULARITY_COLUMN: plan.scale_granularity = ScaleGranularity::kColumn; break;
    default: return bad("scale granularity " + std::to_string(p.scale_granularity()) + " is not supported");
  }
  switch (p.clip_mode()) {
    case v1::CLIP_MODE_MAX: plan.clip_mode = ClipMode::kMax; break;
    case v1::CLIP_MODE_VALUE: plan.clip_mode = ClipMode::kValue; break;
    case v1::CLIP_MODE_PERCENTILE: plan.clip_mode = ClipMode::kPercentile; break;
    default: return bad("clip mode " + std::to_string(p.clip_mode()) + " is not supported");
  }
  plan.clip_value = p.clip_value();
  plan.clip_percentile = p.clip_percentile();
  plan.compensated = p.compensated();
  for (const auto& l : p.layers()) {
    PlanLayer layer;
    layer.inputs = Int(l.inputs());
    layer.outputs = Int(l.outputs());
    layer.scale.assign(l.scales().begin(), l.scales().end());
    layer.clip.assign(l.clips().begin(), l.clips().end());
    layer.reference_level = l.reference_level();
    for (uint32_t t : l.tiles()) layer.tiles.push_back(Int(t));
    layer.rms_error = l.rms_error();
    layer.max_abs_error = l.max_abs_error();
    layer.clipped_fraction = l.clipped_fraction();
    if (l.has_geometry()) {
      auto shape = LayerShapeFromProto(l.geometry(), static_cast<int>(plan.layers.size()), path);
      if (!shape) return std::unexpected(shape.error());
      layer.shape = *shape;
      if (l.geometry().has_population() && layer.shape.Validate(static_cast<int>(plan.layers.size())).has_value()) {
        auto population = PopulationFromProto(l.geometry().population(), layer.shape.neurons(),
                                              static_cast<int>(plan.layers.size()), path);
        if (!population) return std::unexpected(population.error());
        plan.populations.push_back(std::move(*population));
      }
    } else {
      layer.shape = LayerShape::Dense(layer.inputs, layer.outputs);
    }
    layer.replicas = l.replicas() == 0 ? 1 : Int(l.replicas());
    plan.layers.push_back(std::move(layer));
  }
  const auto& geometry = plan.chip.tiles;
  for (int k = 0; k < p.tiles_size(); ++k) {
    const auto& t = p.tiles(k);
    PlanTile tile;
    tile.layer = Int(t.layer());
    tile.physical_index = t.physical_index() == UINT32_MAX ? -1 : Int(t.physical_index());
    tile.row_offset = Int(t.row_offset());
    tile.column_offset = Int(t.column_offset());
    tile.rows = Int(t.rows());
    tile.outputs = Int(t.outputs());
    tile.used_columns = Int(t.used_columns());
    tile.spare_rows = Int(t.spare_rows());
    tile.spare_columns = Int(t.spare_columns());
    const int64_t cells = int64_t{tile.rows} * tile.used_columns;
    if (tile.rows > geometry.rows || tile.used_columns > geometry.columns || t.levels_size() != cells ||
        t.target_conductances_s_size() != cells) {
      return bad("tile " + std::to_string(k) + " declares " + std::to_string(tile.rows) + "x" +
                 std::to_string(tile.used_columns) + " used cells on a " + std::to_string(geometry.rows) + "x" +
                 std::to_string(geometry.columns) + " tile but holds " + std::to_string(t.levels_size()) +
                 " levels and " + std::to_string(t.target_conductances_s_size()) + " targets");
    }
    tile.MapTopLeft();
    if (t.row_map_size() > 0 || t.column_map_size() > 0) {
      auto line = [](uint32_t v) { return static_cast<int>(std::min<uint32_t>(v, INT_MAX)); };
      tile.row_map.assign(static_cast<std::size_t>(t.row_map_size()), 0);
      tile.column_map.assign(static_cast<std::size_t>(t.column_map_size()), 0);
      std::transform(t.row_map().begin(), t.row_map().end(), tile.row_map.begin(), line);
      std::transform(t.column_map().begin(), t.column_map().end(), tile.column_map.begin(), line);
    }
    if (auto ok = tile.ValidateMaps(geometry.rows, geometry.columns); !ok) {
      return bad("tile " + std::to_string(k) + ": " + ok.error().message);
    }
    tile.levels = Eigen::MatrixXi::Constant(geometry.rows, geometry.columns, -1);
    tile.target_g_s = Eigen::MatrixXd::Constant(geometry.rows, geometry.columns, kNotMeasured);
    int index = 0;
    for (int r = 0; r < tile.rows; ++r) {
      const int wl = tile.row_map[static_cast<std::size_t>(r)];
      for (int c = 0; c < tile.used_columns; ++c, ++index) {
        const int bl = tile.column_map[static_cast<std::size_t>(c)];
        tile.levels(wl, bl) = static_cast<int>(std::min<uint32_t>(t.levels(index), INT_MAX));
        tile.target_g_s(wl, bl) = t.target_conductances_s(index);
      }
    }
    tile.residual_before = t.residual_before();
    tile.residual_after = t.residual_after();
    tile.compensation_iterations = Int(t.compensation_iterations());
    tile.replica = Int(t.replica());
    plan.tiles.push_back(std::move(tile));
  }
  for (const auto& s : p.passes()) {
    PassReport report{s.pass(), s.seconds(), {}};
    for (const auto& st : s.statistics()) report.statistics.push_back({st.name(), st.value(), st.unit()});
    plan.passes.push_back(std::move(report));
  }
  plan.compile_seconds = p.compile_seconds();
  if (p.has_faults_chip_seed()) plan.faults_chip_seed = p.faults_chip_seed();
  if (p.has_conv_replicas()) plan.conv_replicas = Int(p.conv_replicas());
  if (auto ok = plan.Validate(); !ok) return bad(ok.error().message);
  return plan;
}

Expected<Plan> ReadPlan(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes) return std::unexpected(bytes.error());
  return ParsePlan(*bytes, path);
}

}  // namespace xbar::compiler
