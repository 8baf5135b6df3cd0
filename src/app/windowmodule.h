#pragma once

#include <QtGlobal>

// The entry point of the window module (aimload-window.so). main() loads the module only
// to open the window, so that headless mode maps no GUI library. Nothing but argc and
// argv crosses: the module reads the options again, which main() has already checked.
// Returns the exit code.
extern "C" Q_DECL_EXPORT int aimload_run_window(int argc, char** argv);

namespace aimload {

using RunWindowFunction = decltype(&aimload_run_window);
inline constexpr char runWindowSymbol[] = "aimload_run_window";

} // namespace aimload
