#pragma once

#include <QIcon>

namespace aimload::Icons {

// Theme icons where the desktop has them, aimload's own drawings otherwise. Where Qt
// cannot read SVG (no svg image plugin installed), the style's standard pixmaps stand in.
QIcon application();
QIcon start();
QIcon stop();
QIcon triggerNow();
QIcon settings();
QIcon clear();

} // namespace aimload::Icons
