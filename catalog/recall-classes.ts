/** The recall classes the platform ships with (21 CFR 7.3(m), 7.42(b)(3), 7.53); admins change them. */
import type { RecallClassRule } from '../domain/recalls.js';

export const defaultRecallClasses: RecallClassRule[] = [
  {
    recallClass: 'I',
    effectivenessLevel: 'A',
    effectivenessTargetPercent: 100,
    noticeUrgency: 'immediate',
    reminderEvery: 'P3D',
    reportEvery: 'P14D',
    description: 'Serious harm is likely: every party is checked, reminded every 3 days, reported every 2 weeks',
  },
  {
    recallClass: 'II',
    effectivenessLevel: 'B',
    effectivenessTargetPercent: 50,
    noticeUrgency: 'urgent',
    reminderEvery: 'P7D',
    reportEvery: 'P21D',
    description: 'Temporary or remote serious harm: half the parties checked, weekly reminders, reports every 3 weeks',
  },
  {
    recallClass: 'III',
    effectivenessLevel: 'C',
    effectivenessTargetPercent: 10,
    noticeUrgency: 'routine',
    reminderEvery: 'P14D',
    reportEvery: 'P28D',
    description: 'Harm is unlikely: a tenth of the parties checked, reminders every 2 weeks, reports every 4 weeks',
  },
];
