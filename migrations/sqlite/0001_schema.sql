-- The embedded store: the same tables, columns, indexes and foreign keys as
-- ../0001_prisma_schema.sql (PostgreSQL, as Prisma lays it out), in SQLite's types. A test
-- (migrations_test.go) holds the two to the same tables and columns.
--
-- How the types map: TIMESTAMP(3) -> TIMESTAMP, which the driver reads back as a time and
-- writes as UTC text "2006-01-02 15:04:05.999+00:00" (text in that one form sorts as time
-- does); enums -> TEXT with a CHECK of the values; JSONB -> TEXT checked by json_valid;
-- DOUBLE PRECISION -> REAL; BOOLEAN stays BOOLEAN (0 or 1).

CREATE TABLE "Tenant" (
  "id" TEXT PRIMARY KEY,
  "name" TEXT NOT NULL,
  "slug" TEXT NOT NULL,
  "metadata" TEXT CHECK ("metadata" IS NULL OR json_valid("metadata")),
  "logoUrl" TEXT,
  "address" TEXT,
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
  "updatedAt" TIMESTAMP NOT NULL,
  "bssid" TEXT,
  "staticIp" TEXT,
  "latitude" REAL,
  "longitude" REAL,
  "menuEnabled" BOOLEAN NOT NULL DEFAULT true,
  "feedbackEnabled" BOOLEAN NOT NULL DEFAULT true,
  "staffEnabled" BOOLEAN NOT NULL DEFAULT true,
  "menuUrl" TEXT
);
CREATE UNIQUE INDEX "Tenant_slug_key" ON "Tenant"("slug");

CREATE TABLE "NasDevice" (
  "id" TEXT PRIMARY KEY,
  "nasId" TEXT, "vpnIp" TEXT, "publicIp" TEXT, "bssid" TEXT, "name" TEXT,
  "tenantId" TEXT NOT NULL REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
  "updatedAt" TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX "NasDevice_nasId_key" ON "NasDevice"("nasId");
CREATE UNIQUE INDEX "NasDevice_vpnIp_key" ON "NasDevice"("vpnIp");
CREATE UNIQUE INDEX "NasDevice_publicIp_key" ON "NasDevice"("publicIp");
CREATE UNIQUE INDEX "NasDevice_bssid_key" ON "NasDevice"("bssid");

CREATE TABLE "user" (
  "id" TEXT PRIMARY KEY,
  "name" TEXT, "email" TEXT, "emailVerified" BOOLEAN, "image" TEXT, "phoneNumber" TEXT,
  "gender" TEXT, "status" TEXT,
  "isAnonymous" BOOLEAN NOT NULL DEFAULT false,
  "role" TEXT NOT NULL DEFAULT 'USER' CHECK ("role" IN ('SUPERADMIN', 'USER')),
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
  "updatedAt" TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX "user_email_key" ON "user"("email");
CREATE INDEX "user_createdAt_idx" ON "user"("createdAt");

CREATE TABLE "session" (
  "id" TEXT PRIMARY KEY,
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "token" TEXT NOT NULL,
  "expiresAt" TIMESTAMP NOT NULL,
  "ipAddress" TEXT, "userAgent" TEXT,
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
  "updatedAt" TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX "session_token_key" ON "session"("token");

CREATE TABLE "account" (
  "id" TEXT PRIMARY KEY,
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "accountId" TEXT NOT NULL, "providerId" TEXT NOT NULL,
  "accessToken" TEXT, "refreshToken" TEXT,
  "accessTokenExpiresAt" TIMESTAMP, "refreshTokenExpiresAt" TIMESTAMP,
  "scope" TEXT, "idToken" TEXT, "password" TEXT,
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
  "updatedAt" TIMESTAMP NOT NULL
);

CREATE TABLE "verification" (
  "id" TEXT PRIMARY KEY,
  "identifier" TEXT NOT NULL, "value" TEXT NOT NULL,
  "expiresAt" TIMESTAMP NOT NULL,
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
  "updatedAt" TIMESTAMP NOT NULL
);

CREATE TABLE "TenantMember" (
  "id" TEXT PRIMARY KEY,
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "tenantId" TEXT NOT NULL REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "role" TEXT NOT NULL DEFAULT 'MODERATOR' CHECK ("role" IN ('OWNER', 'ADMIN', 'MODERATOR', 'STAFF')),
  "canModerate" BOOLEAN NOT NULL DEFAULT false,
  "canManageOrders" BOOLEAN NOT NULL DEFAULT false,
  "canViewStats" BOOLEAN NOT NULL DEFAULT false,
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
  "updatedAt" TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX "TenantMember_userId_tenantId_key" ON "TenantMember"("userId", "tenantId");

CREATE TABLE "Room" (
  "id" TEXT PRIMARY KEY,
  "name" TEXT NOT NULL, "description" TEXT,
  "type" TEXT NOT NULL DEFAULT 'GENERAL' CHECK ("type" IN ('ANNOUNCEMENT', 'GENERAL')),
  "tenantId" TEXT NOT NULL REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

CREATE TABLE "Message" (
  "id" TEXT PRIMARY KEY,
  "text" TEXT NOT NULL, "imageUrl" TEXT,
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
  "senderId" TEXT NOT NULL, "senderAlias" TEXT NOT NULL, "senderGender" TEXT NOT NULL,
  "recipientId" TEXT,
  "roomId" TEXT REFERENCES "Room"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "userId" TEXT REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE,
  "tenantId" TEXT NOT NULL REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "Message_tenantId_idx" ON "Message"("tenantId");
CREATE INDEX "Message_roomId_idx" ON "Message"("roomId");
CREATE INDEX "Message_recipientId_idx" ON "Message"("recipientId");
CREATE INDEX "Message_senderId_idx" ON "Message"("senderId");
CREATE INDEX "Message_createdAt_idx" ON "Message"("createdAt");

CREATE TABLE "SystemLog" (
  "id" TEXT PRIMARY KEY,
  "event" TEXT NOT NULL, "details" TEXT CHECK ("details" IS NULL OR json_valid("details")),
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
  "tenantId" TEXT REFERENCES "Tenant"("id") ON DELETE SET NULL ON UPDATE CASCADE
);

CREATE TABLE "passkey" (
  "id" TEXT PRIMARY KEY,
  "name" TEXT, "publicKey" TEXT NOT NULL,
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "credentialID" TEXT NOT NULL, "counter" INTEGER NOT NULL, "deviceType" TEXT NOT NULL,
  "backedUp" BOOLEAN NOT NULL, "transports" TEXT, "aaguid" TEXT, "createdAt" TIMESTAMP
);

CREATE TABLE "Feedback" (
  "id" TEXT PRIMARY KEY,
  "score" INTEGER NOT NULL, "comment" TEXT,
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "tenantId" TEXT NOT NULL REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);
CREATE INDEX "Feedback_tenantId_idx" ON "Feedback"("tenantId");
CREATE INDEX "Feedback_userId_idx" ON "Feedback"("userId");
CREATE INDEX "Feedback_createdAt_idx" ON "Feedback"("createdAt");

CREATE TABLE "BiometricToken" (
  "id" TEXT PRIMARY KEY,
  "token" TEXT NOT NULL,
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "deviceId" TEXT NOT NULL,
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
  "expiresAt" TIMESTAMP
);
CREATE UNIQUE INDEX "BiometricToken_token_key" ON "BiometricToken"("token");
CREATE INDEX "BiometricToken_userId_idx" ON "BiometricToken"("userId");
CREATE INDEX "BiometricToken_deviceId_idx" ON "BiometricToken"("deviceId");

CREATE TABLE "BlockedUser" (
  "id" TEXT PRIMARY KEY,
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "blockedId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);
CREATE UNIQUE INDEX "BlockedUser_userId_blockedId_key" ON "BlockedUser"("userId", "blockedId");
CREATE INDEX "BlockedUser_userId_idx" ON "BlockedUser"("userId");

CREATE TABLE "Report" (
  "id" TEXT PRIMARY KEY,
  "reporterId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "accusedId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "reason" TEXT NOT NULL, "details" TEXT, "context" TEXT CHECK ("context" IS NULL OR json_valid("context")),
  "tenantId" TEXT NOT NULL,
  "createdAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);
CREATE INDEX "Report_accusedId_idx" ON "Report"("accusedId");
CREATE INDEX "Report_tenantId_idx" ON "Report"("tenantId");

CREATE TABLE "HiddenConversation" (
  "id" TEXT PRIMARY KEY,
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "peerId" TEXT NOT NULL,
  "tenantId" TEXT NOT NULL,
  "hiddenAt" TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);
CREATE INDEX "HiddenConversation_userId_idx" ON "HiddenConversation"("userId");
CREATE INDEX "HiddenConversation_tenantId_idx" ON "HiddenConversation"("tenantId");
CREATE UNIQUE INDEX "HiddenConversation_userId_peerId_tenantId_key" ON "HiddenConversation"("userId", "peerId", "tenantId");
