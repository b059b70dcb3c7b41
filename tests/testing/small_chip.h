// A small chip for compiler tests: `count` tiles of rows x columns, ideal wires unless r_wire > 0.
#pragma once

#include "device_models/chip_spec.h"

namespace xbar::testing {

inline device_models::ChipSpec SmallChip(int count, int rows, int columns, int spare_rows, int spare_columns,
                                         double r_wire = 0) {
  device_models::ChipSpec chip;
  chip.name = "small";
  chip.tiles = {.count = count, .rows = rows, .columns = columns, .spare_rows = spare_rows,
                .spare_columns = spare_columns};
  chip.wires = {.r_row_ohm = r_wire, .r_col_ohm = r_wire, .r_driver_ohm = 0, .r_sense_ohm = 0};
  return chip;
}

}  // namespace xbar::testing
