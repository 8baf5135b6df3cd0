#pragma once

#include "prompts/prompt.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QList>
#include <QString>

#include <optional>
#include <random>

namespace aimload {

// The prompts aimload sends, in weighted groups, read and validated from JSON
// (prompts/README.md describes the format). A pool from fromJson() or load() always
// holds at least one group, and every group at least one prompt.
class PromptPool
{
    Q_DECLARE_TR_FUNCTIONS(PromptPool)

public:
    // An empty pool, only good for being assigned a loaded one; pick() needs prompts.
    PromptPool() = default;

    // On failure returns nothing and sets *error (when given) to one line:
    // "<sourceName>: <where>: <what is wrong>".
    static std::optional<PromptPool> fromJson(
        const QByteArray& json, const QString& sourceName, QString* error);
    // Reads a file or a Qt resource path (":/..."); registers the compiled-in pool first.
    static std::optional<PromptPool> load(const QString& path, QString* error);

    // The pool built into the binary; load() finds it without further setup.
    static QString defaultPoolPath();
    // Registers the compiled-in resource. Idempotent and thread-safe; load() calls it,
    // so it is only needed to open defaultPoolPath() with QFile directly.
    static void initResources();

    bool isEmpty() const { return m_groups.isEmpty(); }
    const QList<PromptGroup>& groups() const { return m_groups; }
    int promptCount() const { return m_promptCount; }
    double totalWeight() const { return m_totalWeight; }
    QString source() const { return m_source; }

    // nullptr when no prompt has this id. Valid as long as this pool (or a copy) lives.
    const Prompt* findPrompt(const QString& id) const;

    // A group with probability weight / totalWeight(), then one of its prompts uniformly.
    // Works on rng() output directly instead of <random> distributions, whose results
    // differ between standard libraries, so a seed gives the same picks everywhere.
    // The pool must not be empty.
    const Prompt& pick(std::mt19937_64& rng) const;

    // "19 prompts in 7 groups: mcp_healthy 1 (10%), mcp_degraded 1 (5%), ..."
    QString summary() const;

private:
    QList<PromptGroup> m_groups;
    QList<double> m_cumulativeWeights; // running sums of the group weights
    double m_totalWeight = 0.0;
    int m_promptCount = 0;
    QString m_source;
};

} // namespace aimload
