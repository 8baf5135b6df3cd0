#pragma once

#include <QList>
#include <QStringList>

namespace aimload {

// "aiml" in the file header tells an aimload journal from any other SQLite file.
constexpr int JournalApplicationId = 0x61696d6c;

// The journal's schema as the statements that build it, one list per version.
const QList<QStringList>& journalMigrations();

} // namespace aimload
