#include "report/reporttypes.h"

#include "prompts/promptpool.h"

using namespace Qt::StringLiterals;

namespace aimload {

QString locustPercentileName(double p)
{
    return QString::number(p, 'g', 6) + u'%';
}

ReportRunInfo ReportRunInfo::fromOptions(
    const Options& options, const PromptPool& pool, const QUrl& agentUrl, quint64 seed)
{
    ReportRunInfo info;
    info.agentUrl = agentUrl;
    info.simulated = options.simulate;
    info.pacing = options.pacing;
    info.abOrder = options.abOrder;
    info.users = options.users;
    info.cycleLimit = options.cycles;
    info.runTimeLimit = options.runTime;
    info.seed = seed;
    info.poolSource = options.promptsFile;
    info.poolSummary = pool.summary();
    for (const PromptGroup& group : pool.groups())
        info.groups.append(group.name);
    return info;
}

QString ReportRunInfo::agentUrlText() const
{
    return agentUrl.toString(QUrl::RemoveUserInfo);
}

} // namespace aimload
