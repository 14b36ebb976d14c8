/** Human-readable ids, as in the manual: U000001 (or a given "001"), STR001, ORD000001. */
export const formatUserId = (n: number) => `U${String(n).padStart(6, '0')}`
export const formatStrategyId = (n: number) => `STR${String(n).padStart(3, '0')}`
export const formatOrderId = (n: number) => `ORD${String(n).padStart(6, '0')}`
