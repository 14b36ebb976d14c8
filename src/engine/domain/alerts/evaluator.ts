import type {InputValue, Inputs} from './expression.js'
import type {AlertRule} from './rules.js'

export type AlertTransition =
  | {kind: 'raised'; rule: AlertRule; value: InputValue | undefined; since: Date; at: Date}
  /** `count`: the notification's number in this firing (the raise is 1, so the first repeat is 2). */
  | {kind: 'repeated'; rule: AlertRule; value: InputValue | undefined; at: Date; count: number}
  | {kind: 'resolved'; rule: AlertRule; value: InputValue | undefined; at: Date; firedAt: Date}

/** What is known of one rule between samples (times in ms). Idle rules have none. */
interface RuleState {
  /** The condition source this state belongs to: a changed condition starts afresh. */
  source: string
  /** Holding since, not raised yet. */
  pendingSince?: number
  firedAt?: number
  lastNotifiedAt: number
  count: number
  /** Firing, and not holding since. */
  clearSince?: number
  acknowledged: boolean
}

/**
 * The alert state machine, pure and in memory; time is passed in. Per rule:
 * idle -> pending when the condition holds -> raised once it has held for `forMs` (at once for 0);
 * while firing, `repeated` every `repeatMs` since the last notification (0: never; none once
 * acknowledged); resolved once it has not held for `clearForMs`, a holding sample restarting that
 * wait. So a value flapping around a threshold neither floods nor raises and resolves every second.
 * A sample whose inputs leave the condition undecided (no data) changes nothing.
 */
export class AlertEvaluator {
  private rules: AlertRule[] = []
  private readonly states = new Map<string, RuleState>()

  constructor(
    rules: AlertRule[],
    private readonly options: {clearForMs?: number /* overrides each rule's clearForMs */} = {},
  ) {
    this.setRules(rules)
  }

  /** Evaluates every rule on one set of inputs at `now`; returns what changed. */
  evaluate(inputs: Inputs, now: Date): AlertTransition[] {
    const t = now.getTime()
    const out: AlertTransition[] = []
    for (const rule of this.rules) {
      const result = rule.condition.test(inputs)
      if (!result.known) continue
      const state = this.states.get(rule.name)
      const {value} = result
      if (result.holds) {
        if (state?.firedAt === undefined) {
          const since = state?.pendingSince ?? t
          if (t - since >= rule.forMs) {
            this.states.set(rule.name, {source: rule.condition.source, firedAt: t, lastNotifiedAt: t, count: 1, acknowledged: false})
            out.push({kind: 'raised', rule, value, since: new Date(since), at: now})
          } else if (!state) this.states.set(rule.name, {source: rule.condition.source, pendingSince: t, lastNotifiedAt: 0, count: 0, acknowledged: false})
          continue
        }
        state.clearSince = undefined
        if (rule.repeatMs > 0 && !state.acknowledged && t - state.lastNotifiedAt >= rule.repeatMs) {
          state.lastNotifiedAt = t
          state.count++
          out.push({kind: 'repeated', rule, value, at: now, count: state.count})
        }
      } else if (state?.firedAt === undefined) {
        this.states.delete(rule.name)
      } else {
        state.clearSince ??= t
        if (t - state.clearSince >= this.clearForMs(rule)) {
          this.states.delete(rule.name)
          out.push({kind: 'resolved', rule, value, at: now, firedAt: new Date(state.firedAt)})
        }
      }
    }
    return out
  }

  /**
   * A rule already firing elsewhere (an `active` row in the database at start): adopt it, so it is
   * not raised twice. `count`: notifications already sent, so the next repeat carries the next number.
   */
  adopt(ruleName: string, firedAt: Date, lastNotifiedAt: Date, count = 1): void {
    const rule = this.rules.find((r) => r.name === ruleName)
    if (!rule) return
    this.states.set(ruleName, {source: rule.condition.source, firedAt: firedAt.getTime(), lastNotifiedAt: lastNotifiedAt.getTime(), count: Math.max(1, count), acknowledged: false})
  }

  /**
   * Replace the rule set (config reload) keeping the state of rules whose name and condition source
   * are unchanged. Returns the rules that were firing and whose state was dropped (removed, or their
   * condition changed): their open alerts are no longer this evaluator's to resolve.
   */
  setRules(rules: AlertRule[]): string[] {
    const kept = new Map(rules.map((r) => [r.name, r.condition.source]))
    const dropped: string[] = []
    for (const [name, state] of this.states) {
      if (kept.get(name) === state.source) continue
      if (state.firedAt !== undefined) dropped.push(name)
      this.states.delete(name)
    }
    this.rules = [...rules]
    return dropped
  }

  /** An operator acknowledged the alert: no more `repeated` for this firing (a later raise repeats again). */
  acknowledge(ruleName: string): void {
    const state = this.states.get(ruleName)
    if (state?.firedAt !== undefined) state.acknowledged = true
  }

  firing(): {rule: string; since: Date}[] {
    return this.rules.flatMap((r) => {
      const firedAt = this.states.get(r.name)?.firedAt
      return firedAt === undefined ? [] : [{rule: r.name, since: new Date(firedAt)}]
    })
  }

  private clearForMs(rule: AlertRule): number {
    return this.options.clearForMs ?? rule.clearForMs
  }
}
