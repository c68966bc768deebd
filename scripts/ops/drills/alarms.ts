// Which of the stack's alarms changed state while a drill ran, from CloudWatch's alarm history.
import { paginateDescribeAlarmHistory } from "@aws-sdk/client-cloudwatch";
import type { OpsContext } from "../context";

interface AlarmTransition {
  readonly alarm: string;
  readonly at: string;
  readonly summary: string;
}

export async function alarmTransitions(ctx: OpsContext, names: readonly string[], from: number, to: number): Promise<AlarmTransition[]> {
  const wanted = new Set(names);
  const out: AlarmTransition[] = [];
  const pages = paginateDescribeAlarmHistory({ client: ctx.aws.cloudWatch }, {
    HistoryItemType: "StateUpdate",
    StartDate: new Date(from),
    EndDate: new Date(to),
    ScanBy: "TimestampAscending",
    AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
  });
  for await (const page of ctx.api.pages("DescribeAlarmHistory", pages)) {
    for (const item of page.AlarmHistoryItems ?? []) {
      if (!item.AlarmName || !wanted.has(item.AlarmName)) continue;
      out.push({ alarm: item.AlarmName, at: item.Timestamp?.toISOString() ?? "", summary: item.HistorySummary ?? "" });
    }
  }
  return out;
}
