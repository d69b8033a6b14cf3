import { createRouter, createWebHashHistory, type RouteRecordRaw } from "vue-router";
import { session, type SignedInAccount } from "./api/session";

/** The page each role opens on after signing in. */
export function homeOf(account: SignedInAccount): string {
  return account.role === "PARTNER" ? "/board" : "/dashboard";
}

type Role = SignedInAccount["role"];

const routes: RouteRecordRaw[] = [
  { path: "/", redirect: () => (session.account ? homeOf(session.account) : "/sign-in") },
  { path: "/sign-in", name: "sign-in", component: () => import("./pages/SignInPage.vue"), meta: { public: true } },
  { path: "/board", name: "board", component: () => import("./pages/PartnerBoardPage.vue"), meta: { roles: ["PARTNER"] } },
  { path: "/households", name: "households", component: () => import("./pages/MyHouseholdsPage.vue"), meta: { roles: ["PARTNER"] } },
  { path: "/tasks", name: "tasks", component: () => import("./pages/DepartmentQueuePage.vue"), meta: { roles: ["PARTNER"] } },
  {
    path: "/dashboard/:allianceId?",
    name: "dashboard",
    component: () => import("./pages/DashboardPage.vue"),
    meta: { roles: ["COORDINATOR", "ADMIN"] },
  },
  { path: "/:rest(.*)*", redirect: "/" },
];

/** Hash history: the server serves one page, and no token or personal data goes in a URL. */
export const router = createRouter({ history: createWebHashHistory(), routes });

router.beforeEach((to) => {
  if (to.meta.public) return session.account && to.name === "sign-in" ? homeOf(session.account) : true;
  if (!session.account) return { name: "sign-in" };
  const roles = to.meta.roles as Role[] | undefined;
  if (roles && !roles.includes(session.account.role)) return homeOf(session.account);
  return true;
});
